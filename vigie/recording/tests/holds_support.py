"""Two towns with cameras, footage rows and people, for the legal hold API and pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vigie.core.testing import as_system, make_camera, make_member, make_user
from vigie.recording import services
from vigie.recording.models import LegalHold, Segment
from vigie.recording.tests.retention_support import make_pool, make_segment

# 08:00 in Paris (winter time): the pages show it so, the API in UTC.
START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
END = START + timedelta(hours=4)
NOWHERE = Path("/nonexistent/vigie-holds-pool")  # rows only: no file is written


@dataclass
class HoldWorld:
    a: Any
    b: Any
    cam_a: Any
    cam_a2: Any
    cam_b: Any
    segment_a: Segment
    operator_a: Any
    operator_b: Any
    admin_a: Any
    viewer_a: Any
    viewer_b: Any
    technician_a: Any
    nobody: Any


def place(member: Any, cameras: list[Any], reference: str = "PV-2026-123", **kw: Any) -> LegalHold:
    """A hold placed by the system party (the fixtures' writer)."""
    with as_system():
        return services.place_hold(
            member,
            cameras,
            kw.pop("start", START),
            kw.pop("end", END),
            reason=kw.pop("reason", "Réquisition OPJ, vol à l'arraché"),
            reference=reference,
        )


def release(hold: LegalHold, reason: str = "Procédure close") -> LegalHold:
    with as_system():
        return services.release_hold(hold, reason)


def segment_in(camera: Any, at: datetime) -> Segment:
    return make_segment(camera, make_pool(NOWHERE, create=False), at, write=False)


def is_held(segment: Segment) -> bool:
    return segment.pk in services.held_segment_ids([segment])


@pytest.fixture
def hold_world(db: Any) -> HoldWorld:
    a, b = make_member(), make_member()
    cam_a = make_camera(a, name="ANT-GARE-01")
    return HoldWorld(
        a=a,
        b=b,
        cam_a=cam_a,
        cam_a2=make_camera(a, name="ANT-GARE-02"),
        cam_b=make_camera(b, name="SCX-MAIRIE-01"),
        segment_a=segment_in(cam_a, START + timedelta(hours=1)),
        operator_a=make_user(role="csu_operator", members=[a]),
        operator_b=make_user(role="csu_operator", members=[b]),
        admin_a=make_user(role="syndicate_admin", members=[a]),
        viewer_a=make_user(role="town_viewer", members=[a]),
        viewer_b=make_user(role="town_viewer", members=[b]),
        technician_a=make_user(role="technician", members=[a]),
        nobody=make_user(),
    )

"""A requisition's footage survives retention and disk pressure while it is open;
once it is closed, retention deletes it on schedule."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from vigie.core.testing import as_system
from vigie.evidence import services
from vigie.evidence.services import RangeSpec
from vigie.evidence.tests.conftest import move
from vigie.recording import services as recording
from vigie.recording.models import Segment
from vigie.recording.tests.retention_support import (
    NOW,
    World,
    build_world,
    committed,
    fake_disk,
    file_of,
)

__all__ = ["committed", "fake_disk"]  # fixtures

DAY = timedelta(days=1)
HELD_FROM, HELD_UNTIL = NOW - 9 * DAY - timedelta(hours=1), NOW - 8 * DAY - timedelta(hours=1)


def _file(world: World) -> Any:
    with as_system():
        return services.file_requisition(
            member=world.member,
            service="police_nationale",
            officer_name="Brigadier Martin",
            procedure_number="PV-2026-555",
            facts="Vol",
            ranges=[RangeSpec(world.camera, HELD_FROM, HELD_UNTIL)],
        )


def _held(world: World) -> list[Segment]:
    return [s for s in world.segments() if s.start < HELD_UNTIL and s.end and s.end > HELD_FROM]


def test_open_requisition_keeps_its_footage_then_retention_resumes(
    db: Any, tmp_path: Path, committed: Any, fake_disk: Any
) -> None:
    world = build_world(tmp_path, retention_days=7)
    world.fill(world.camera, days=10)
    req = _file(world)
    held = _held(world)
    assert held

    committed(recording.run_retention, now=NOW)
    left = world.segments()
    assert {s.pk for s in held} <= {s.pk for s in left}
    assert all(file_of(s).is_file() for s in held)
    # Everything older than 7 days that the requisition does not name is gone.
    assert all(s.start >= NOW - 7 * DAY - timedelta(hours=6) for s in left if s not in held)

    fake_disk.capacity = 1000  # the disk is full: pressure frees what it may
    committed(recording.relieve_disk_pressure, world.pool, now=NOW)
    assert {s.pk for s in held} <= {s.pk for s in world.segments()}
    assert all(file_of(s).is_file() for s in held)

    move(req, "under_review", "negative", "closed")
    assert services.active_holds_of(req) == []
    fake_disk.capacity = 10**9
    committed(recording.run_retention, now=NOW)
    remaining = {s.pk for s in world.segments()}
    assert not remaining & {s.pk for s in held}
    assert not any(file_of(s).is_file() for s in held)


def test_cancelled_requisition_releases_too(db: Any, tmp_path: Path, committed: Any) -> None:
    world = build_world(tmp_path, retention_days=7)
    world.fill(world.camera, days=10)
    req = _file(world)
    held = _held(world)
    committed(recording.run_retention, now=NOW)
    assert {s.pk for s in held} <= {s.pk for s in world.segments()}
    move(req, "cancelled")
    committed(recording.run_retention, now=NOW)
    assert not {s.pk for s in world.segments()} & {s.pk for s in held}

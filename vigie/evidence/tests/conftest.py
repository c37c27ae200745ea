"""Two towns, their cameras and people of every role, for the requisition tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import translation

from vigie.core.testing import as_system, make_camera, make_member, make_user
from vigie.evidence import services
from vigie.evidence.models import Requisition
from vigie.evidence.services import RangeSpec
from vigie.evidence.tests.package_support import footage

__all__ = ["footage"]  # fixture: real recorded footage, made once per session

START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


@dataclass
class ReqWorld:
    a: Any
    b: Any
    cam_a: Any
    cam_a2: Any
    cam_b: Any
    operator_a: Any
    operator_b: Any
    admin_a: Any
    viewer_a: Any
    viewer_b: Any
    officer_a: Any
    auditor: Any
    technician_a: Any
    nobody: Any


def file_one(member: Any, cameras: list[Any], **kw: Any) -> Requisition:
    """A requisition filed by the system party (the fixtures' writer)."""
    start, end = kw.pop("start", START), kw.pop("end", END)
    with as_system():
        return services.file_requisition(
            member=member,
            service=kw.pop("service", "police_nationale"),
            officer_name=kw.pop("officer_name", "Brigadier Martin"),
            officer_id=kw.pop("officer_id", "123456"),
            procedure_number=kw.pop("procedure_number", "PV-2026-001"),
            facts=kw.pop("facts", "Vol à l'arraché, place de la gare"),
            received_on=kw.pop("received_on", date(2026, 11, 21)),
            ranges=[RangeSpec(c, start, end) for c in cameras],
            **kw,
        )


def move(requisition: Requisition, *statuses: str) -> Requisition:
    with as_system():
        for status in statuses:
            requisition = services.transition(requisition, status, "test step")
    return requisition


@pytest.fixture
def _english() -> Any:
    """Service messages are checked in English (the pages are French by default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def rw(db: Any, _english: None) -> ReqWorld:
    a, b = make_member(), make_member()
    return ReqWorld(
        a=a,
        b=b,
        cam_a=make_camera(a, name="ANT-GARE-01", retention_days=15),
        cam_a2=make_camera(a, name="ANT-GARE-02", retention_days=15),
        cam_b=make_camera(b, name="SCX-MAIRIE-01", retention_days=15),
        operator_a=make_user(role="csu_operator", members=[a]),
        operator_b=make_user(role="csu_operator", members=[b]),
        admin_a=make_user(role="syndicate_admin", members=[a]),
        viewer_a=make_user(role="town_viewer", members=[a]),
        viewer_b=make_user(role="town_viewer", members=[b]),
        officer_a=make_user(role="judicial_officer", members=[a]),
        auditor=make_user(role="auditor", all_members=True),
        technician_a=make_user(role="technician", members=[a]),
        nobody=make_user(),
    )

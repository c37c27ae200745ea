"""Filing holds footage at once; the workflow; review hours; deliveries; bad input."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from vigie.audit.models import JournalEntry
from vigie.core import actors
from vigie.core.models import IsolationError
from vigie.core.testing import as_system, make_camera
from vigie.evidence import services
from vigie.evidence.models import Delivery, Requisition, RequisitionRange
from vigie.evidence.services import RangeSpec
from vigie.evidence.tests.conftest import END, START, ReqWorld, file_one, move
from vigie.recording.models import LegalHold


def test_filing_places_one_hold_per_period_at_once(rw: ReqWorld) -> None:
    req = file_one(rw.a, [rw.cam_a, rw.cam_a2])
    holds = services.active_holds_of(req)
    assert len(holds) == 1
    hold = holds[0]
    assert hold.reference == "PV-2026-001"
    assert set(hold.cameras.values_list("pk", flat=True)) == {rw.cam_a.pk, rw.cam_a2.pk}
    assert (hold.start, hold.end) == (START, END)
    assert req.status == "received"
    assert req.deadline == date(2026, 11, 21) + timedelta(days=15)
    assert JournalEntry.objects.filter(action="evidence.requisition.file").count() == 1


def test_two_periods_two_holds(rw: ReqWorld) -> None:
    with as_system():
        req = services.file_requisition(
            member=rw.a,
            service="gendarmerie",
            officer_name="Adjudant Leroy",
            procedure_number="PV-2",
            facts="Rixe",
            ranges=[
                RangeSpec(rw.cam_a, START, END),
                RangeSpec(rw.cam_a2, START + timedelta(hours=5), END + timedelta(hours=5)),
            ],
        )
    assert len(services.active_holds_of(req)) == 2


def test_operator_files_and_the_hold_is_theirs(rw: ReqWorld) -> None:
    with actors.acting_as(rw.operator_a):
        req = services.file_requisition(
            member=rw.a,
            service="police_municipale",
            officer_name="Agent Durand",
            procedure_number="PM-7",
            facts="Dégradations",
            ranges=[RangeSpec(rw.cam_a, START, END)],
        )
    assert req.created_by == rw.operator_a
    assert services.active_holds_of(req)[0].placed_by == rw.operator_a


def test_officer_files_their_own_the_hold_placed_on_their_behalf(rw: ReqWorld) -> None:
    with actors.acting_as(rw.officer_a):
        req = services.file_requisition(
            member=rw.a,
            service="police_nationale",
            officer_name="Lieutenant Petit",
            procedure_number="PN-9",
            facts="Cambriolage",
            ranges=[RangeSpec(rw.cam_a, START, END)],
        )
    hold = services.active_holds_of(req)[0]
    entry = JournalEntry.objects.filter(action="recording.legalhold.place").latest("pk")
    assert entry.actor_name == f"evidence:{rw.officer_a.username}"
    assert hold.placed_by is None
    filed = JournalEntry.objects.filter(action="evidence.requisition.file").latest("pk")
    assert filed.actor_user_id == rw.officer_a.pk


def test_officer_cannot_file_for_another_town(rw: ReqWorld) -> None:
    with actors.acting_as(rw.officer_a), pytest.raises(IsolationError):
        services.file_requisition(
            member=rw.b,
            service="police_nationale",
            officer_name="X",
            procedure_number="P",
            facts="F",
            ranges=[RangeSpec(rw.cam_b, START, END)],
        )
    assert not Requisition.objects.unrestricted().exists()
    assert not LegalHold.objects.unrestricted().exists()


@pytest.mark.parametrize(
    ("camera", "start", "end", "field", "text"),
    [
        ("cam_b", START, END, "camera", "another member"),
        ("cam_a", END, START, "end", "must follow"),
        ("cam_a", START, START + timedelta(days=16), "end", "retention (15 days)"),
    ],
)
def test_bad_ranges_are_refused_and_nothing_is_held(
    rw: ReqWorld, camera: str, start: Any, end: Any, field: str, text: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        file_one(rw.a, [getattr(rw, camera)], start=start, end=end)
    assert text in " ".join(exc.value.message_dict[field])
    assert not Requisition.objects.unrestricted().exists()
    assert not LegalHold.objects.unrestricted().exists()


def test_no_range_no_requisition(rw: ReqWorld) -> None:
    with as_system(), pytest.raises(ValidationError, match="at least one camera"):
        services.file_requisition(
            member=rw.a,
            service="other",
            officer_name="X",
            procedure_number="P",
            facts="F",
            ranges=[],
        )


def test_range_longer_than_thirty_days_refused_even_with_long_retention(rw: ReqWorld) -> None:
    cam = make_camera(rw.a, retention_days=30)
    with pytest.raises(ValidationError, match="30 days"):
        file_one(rw.a, [cam], end=START + timedelta(days=31))


def test_transitions_journaled_and_closing_releases(rw: ReqWorld) -> None:
    req = file_one(rw.a, [rw.cam_a])
    move(req, "under_review", "positive", "closed")
    req.refresh_from_db()
    assert req.status == "closed" and req.outcome == "positive" and req.closed_at
    assert services.active_holds_of(req) == []
    hold = LegalHold.objects.unrestricted().get()
    assert hold.release_reason == "test step"
    steps = JournalEntry.objects.filter(action="evidence.requisition.transition")
    assert [e.details["to"] for e in steps.order_by("pk")] == ["under_review", "positive", "closed"]
    assert all(e.reason == "test step" for e in steps)


def test_cancelling_releases_the_hold(rw: ReqWorld) -> None:
    req = move(file_one(rw.a, [rw.cam_a]), "cancelled")
    assert req.outcome == "cancelled"
    assert services.active_holds_of(req) == []


def test_forbidden_transition_is_a_clear_error(rw: ReqWorld) -> None:
    req = file_one(rw.a, [rw.cam_a])
    with as_system(), pytest.raises(ValidationError) as exc:
        services.transition(req, "closed", "done")
    assert "'received' cannot become 'closed'" in exc.value.message_dict["status"][0]
    with as_system(), pytest.raises(ValidationError, match="reason"):
        services.transition(req, "under_review", "  ")
    req.refresh_from_db()
    assert req.status == "received"


def test_viewer_cannot_move_a_requisition(rw: ReqWorld) -> None:
    req = file_one(rw.a, [rw.cam_a])
    with actors.acting_as(rw.viewer_a), pytest.raises(IsolationError):
        services.transition(req, "under_review", "look")
    req.refresh_from_db()
    assert req.status == "received"


def test_add_range_holds_it(rw: ReqWorld) -> None:
    req = file_one(rw.a, [rw.cam_a])
    with actors.acting_as(rw.operator_a):
        row = services.add_range(req, rw.cam_a2, START, END + timedelta(hours=1))
    assert row.legal_hold is not None and row.legal_hold.active
    assert len(services.active_holds_of(req)) == 2


def test_review_time_logged_per_operator(rw: ReqWorld) -> None:
    req = file_one(rw.a, [rw.cam_a])
    with actors.acting_as(rw.operator_a):
        row = services.log_review_time(req, hours="2.5", on=date(2026, 11, 22))
    assert row.operator == rw.operator_a and row.hours == Decimal("2.5")
    with actors.acting_as(rw.operator_a), pytest.raises(ValidationError):
        services.log_review_time(req, hours="25")
    with actors.acting_as(rw.operator_b), pytest.raises(IsolationError):
        services.log_review_time(req, hours="1")


def test_delivery_needs_an_export_then_marks_delivered(rw: ReqWorld) -> None:
    req = move(file_one(rw.a, [rw.cam_a]), "under_review", "positive")
    with as_system(), pytest.raises(ValidationError, match="exported"):
        services.record_delivery(req, officer_name="X", medium_reference="DVD-1")
    with as_system():
        req = services.transition(req, "exported", "export made", manual=False)
    with actors.acting_as(rw.operator_a):
        delivery = services.record_delivery(
            req, officer_name="Brigadier Martin", medium_reference="DVD-0042"
        )
    req.refresh_from_db()
    assert req.status == "delivered"
    assert delivery.recorded_by == rw.operator_a
    assert Delivery.objects.unrestricted().filter(medium_reference="DVD-0042").exists()
    with as_system(), pytest.raises(ValidationError, match="64 hexadecimal"):
        services.record_delivery(
            req, officer_name="X", medium_reference="DVD-2", package_sha256="abc"
        )


def test_late_flag(rw: ReqWorld) -> None:
    req = file_one(rw.a, [rw.cam_a], received_on=date(2020, 1, 1))
    assert req.late
    move(req, "cancelled")
    req.refresh_from_db()
    assert not req.late
    assert RequisitionRange.objects.unrestricted().count() == 1


def test_masks_of_the_camera_are_passed_to_the_export(rw: ReqWorld) -> None:
    from vigie.recording.models import PrivacyMask

    assert services.masks_for(rw.cam_a) == ()
    square = [[0.1, 0.1], [0.4, 0.1], [0.4, 0.4], [0.1, 0.4]]
    with as_system():
        PrivacyMask.objects.create(camera=rw.cam_a, label="Fenêtres", polygons=[square])
        PrivacyMask.objects.create(camera=rw.cam_a, label="Off", polygons=[square], enabled=False)
    polygons = services.masks_for(rw.cam_a)
    assert len(polygons) == 1 and polygons[0][0] == (0.1, 0.1)
    assert services.masks_for(rw.cam_a2) == ()

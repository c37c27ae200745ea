"""Requests from persons: deadlines, transitions, holds, extra masks, isolation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from vigie.audit import subject_requests as sr
from vigie.audit.models import JournalEntry, SubjectRequest
from vigie.audit.tests.register_support import destruction
from vigie.core import actors
from vigie.core.api_testing import ApiIsolationCases
from vigie.core.models import IsolationError
from vigie.core.testing import IsolationCases, as_system, make_camera
from vigie.recording.models import LegalHold


def window(days_ago: int = 2) -> tuple[datetime, datetime]:
    start = timezone.now().replace(microsecond=0) - timedelta(days=days_ago)
    return start, start + timedelta(minutes=30)


def make_request(member: Any, cameras: list[Any] | None = None, **kw: Any) -> SubjectRequest:
    start, end = window()
    if cameras is None:
        cameras = [make_camera(member)]
    obj = SubjectRequest(
        member=member,
        received_on=kw.pop("received_on", timezone.localdate()),
        requester_name=kw.pop("requester_name", "Mme Martin"),
        requester_contact=kw.pop("requester_contact", "2 rue de la Gare, Antony"),
        identity_reference=kw.pop("identity_reference", "CNI …1234"),
        place=kw.pop("place", "Parvis de la gare"),
        window_start=kw.pop("window_start", start),
        window_end=kw.pop("window_end", end),
        **kw,
    )
    with as_system():
        return sr.save_request(obj, cameras=cameras)


# ---------------------------------------------------------------- deadlines


@pytest.mark.parametrize(
    ("received", "months", "due"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 12, 20), 1, date(2027, 1, 20)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
    ],
)
def test_add_months(received: date, months: int, due: date) -> None:
    assert sr.add_months(received, months) == due


def test_deadline_one_month_then_extended(world: Any) -> None:
    received = timezone.localdate() - timedelta(days=3)
    obj = make_request(world.a, received_on=received)
    assert obj.deadline == sr.add_months(received, 1)
    assert not obj.extended and not obj.is_late()
    with as_system():
        sr.extend_deadline(obj, "Nombreuses caméras à examiner")
    obj.refresh_from_db()
    assert obj.extended
    assert obj.deadline == sr.add_months(received, 3)
    with as_system(), pytest.raises(ValidationError):
        sr.extend_deadline(obj, "Encore")


def test_extension_needs_a_reason_and_the_first_month(world: Any) -> None:
    obj = make_request(world.a, received_on=date(2026, 1, 10))
    with as_system(), pytest.raises(ValidationError) as no_reason:
        sr.extend_deadline(obj, "  ")
    assert "extension_reason" in no_reason.value.message_dict
    with as_system(), pytest.raises(ValidationError):
        sr.extend_deadline(obj, "Trop tard", today=date(2026, 2, 11))
    with as_system():
        sr.extend_deadline(obj, "À temps", today=date(2026, 2, 10))
    assert obj.deadline == date(2026, 4, 10)


def test_late_flag(world: Any) -> None:
    obj = make_request(world.a, received_on=date(2026, 1, 10))
    assert obj.is_late(today=date(2026, 2, 10)) is False
    assert obj.is_late(today=date(2026, 2, 11)) is True
    obj.answered_on = date(2026, 2, 12)
    assert obj.is_late() is True
    obj.answered_on = date(2026, 2, 9)
    assert obj.is_late() is False


def test_received_in_the_future_refused(world: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        make_request(world.a, received_on=timezone.localdate() + timedelta(days=1))
    assert "received_on" in caught.value.message_dict


# ---------------------------------------------------------------- transitions and holds


def test_found_places_a_hold_and_close_releases_it(world: Any) -> None:
    cam = world.cam_a
    obj = make_request(world.a, cameras=[cam])
    # A town viewer may not place holds; the request's rule does it for them.
    with actors.acting_as(actors.person(world.viewer_a)):
        sr.transition(obj, "searching")
        sr.transition(obj, "found")
    obj.refresh_from_db()
    assert obj.status == "found"
    hold = LegalHold.objects.unrestricted().get(pk=obj.hold_id)
    assert hold.active
    assert list(hold.cameras.all()) == [cam]
    assert (hold.start, hold.end) == (obj.window_start, obj.window_end)
    assert hold.reference == obj.reference
    place = JournalEntry.objects.filter(action="recording.legalhold.place").last()
    found = JournalEntry.objects.filter(action="audit.subjectrequest.found").last()
    assert place is not None and found is not None
    assert place.actor_name == "job:subject-request"
    assert found.actor_name == "viewer-a"
    assert place.request_id == found.request_id
    with actors.acting_as(actors.person(world.viewer_a)):
        sr.transition(obj, "answered", text="Copie masquée remise en main propre.")
        sr.transition(obj, "closed")
    hold.refresh_from_db()
    assert not hold.active
    assert obj.closed_at is not None
    with as_system(), pytest.raises(ValidationError):
        obj.notes = "after"
        sr.save_request(obj)


def test_found_needs_cameras(world: Any) -> None:
    obj = make_request(world.a, cameras=[])
    with as_system():
        sr.transition(obj, "searching")
        with pytest.raises(ValidationError) as caught:
            sr.transition(obj, "found")
    assert "cameras" in caught.value.message_dict
    assert SubjectRequest.objects.unrestricted().get(pk=obj.pk).status == "searching"


def test_not_found_says_when_the_footage_was_destroyed(world: Any) -> None:
    cam = make_camera(world.a, retention_days=10)
    start = timezone.now().replace(microsecond=0) - timedelta(days=20)
    end = start + timedelta(hours=1)
    obj = make_request(world.a, cameras=[cam], window_start=start, window_end=end)
    with as_system():
        sr.transition(obj, "searching")
        sr.transition(obj, "not_found")
    assert obj.footage_destroyed_on == end + timedelta(days=10)
    # With the destruction register: its date.
    destroyed = timezone.now().replace(microsecond=0) - timedelta(days=9)
    record = destruction(world.a, cam, destroyed, period_start=start, period_end=end)
    other = make_request(world.a, cameras=[cam], window_start=start, window_end=end)
    with as_system():
        sr.transition(other, "searching")
        sr.transition(other, "not_found")
    assert other.footage_destroyed_on == record.destroyed_at


def test_transitions_refused_out_of_order(world: Any) -> None:
    obj = make_request(world.a)
    with as_system():
        for wrong in ("found", "answered", "closed", "nonsense"):
            with pytest.raises(ValidationError):
                sr.transition(obj, wrong)
        sr.transition(obj, "searching")
        sr.transition(obj, "not_found")
        with pytest.raises(ValidationError):
            sr.transition(obj, "refused", ground="x")
    assert sr.allowed_transitions(obj) == ["answered"]


def test_refusal_needs_its_ground(world: Any) -> None:
    obj = make_request(world.a)
    with as_system():
        with pytest.raises(ValidationError) as caught:
            sr.transition(obj, "refused", text="Non")
        assert "refusal_ground" in caught.value.message_dict
        obj = SubjectRequest.objects.unrestricted().get(pk=obj.pk)
        sr.transition(obj, "refused", text="Demande infondée", ground="RGPD art. 12(5)")
    assert obj.status == "refused" and obj.answered_on == timezone.localdate()


def test_answer_needs_its_text(world: Any) -> None:
    obj = make_request(world.a)
    with as_system():
        sr.transition(obj, "searching")
        sr.transition(obj, "not_found")
        with pytest.raises(ValidationError):
            sr.transition(obj, "answered", text=" ")


def test_each_change_is_journaled(world: Any) -> None:
    obj = make_request(world.a)
    actions = set(
        JournalEntry.objects.filter(object_ids=[str(obj.pk)]).values_list("action", flat=True)
    )
    assert "audit.subjectrequest.create" in actions
    with as_system():
        sr.transition(obj, "searching")
    entry = JournalEntry.objects.filter(action="audit.subjectrequest.searching").last()
    assert entry is not None and entry.member_id == world.a.pk
    assert entry.details["from"] == "received"


# ---------------------------------------------------------------- extra masks


@pytest.mark.parametrize(
    "polygons",
    [
        [[[0, 0], [1, 0], [1, 1]]],
        [[[0.1, 0.1], [0.5, 0.1], [0.5, 0.9], [0.1, 0.9]], [[0, 0], [0.2, 0], [0, 0.2]]],
        [],
    ],
)
def test_extra_polygons_valid(world: Any, polygons: Any) -> None:
    obj = make_request(world.a)
    with as_system():
        sr.set_extra_polygons(obj, polygons)
    obj.refresh_from_db()
    assert obj.extra_polygons == [[[float(x), float(y)] for x, y in p] for p in polygons]


@pytest.mark.parametrize(
    "polygons",
    [
        [[[0, 0], [1, 0]]],  # two points
        [[[0, 0], [1.2, 0], [1, 1]]],  # out of range
        [[[0, 0], [-0.1, 0], [1, 1]]],
        [[[0, 0], [1, 0], ["a", 1]]],
        {"x": 1},
        [[0, 0, 1]],
    ],
)
def test_extra_polygons_invalid(world: Any, polygons: Any) -> None:
    obj = make_request(world.a)
    with as_system(), pytest.raises(ValidationError) as caught:
        sr.set_extra_polygons(obj, polygons)
    assert "extra_polygons" in caught.value.message_dict


def test_cameras_of_another_member_refused(world: Any) -> None:
    with pytest.raises(ValidationError):
        make_request(world.a, cameras=[world.cam_b])


# ---------------------------------------------------------------- isolation


class TestSubjectRequestIsolation(IsolationCases):
    model = SubjectRequest

    def make(self, member: Any) -> Any:
        return make_request(member)


class TestSubjectRequestIsolationAuditor(IsolationCases):
    model = SubjectRequest
    viewer_role = "auditor"

    def make(self, member: Any) -> Any:
        return make_request(member)


def test_auditor_may_not_change(world: Any) -> None:
    from vigie.core.testing import make_user

    obj = make_request(world.a)
    dpo = make_user(role="auditor", all_members=True)
    with actors.acting_as(actors.person(dpo)), pytest.raises(IsolationError):
        sr.transition(obj, "searching")


def test_operators_and_technicians_see_nothing(world: Any) -> None:
    from vigie.core.testing import make_user

    obj = make_request(world.a)
    for role in ("csu_operator", "technician", "judicial_officer"):
        user = make_user(role=role, all_members=True)
        assert not SubjectRequest.objects.restrict(user, "view").filter(pk=obj.pk).exists()


class TestSubjectRequestApi(ApiIsolationCases):
    basename = "subjectrequest"
    model = SubjectRequest
    viewer_role = "auditor"
    writer_role = "town_viewer"
    can_delete = False

    def make(self, member: Any) -> Any:
        return make_request(member)

    def payload(self, member: Any) -> dict[str, Any]:
        start, end = window()
        camera = make_camera(member)
        return {
            "member": member.slug,
            "kind": "access",
            "received_on": timezone.localdate().isoformat(),
            "requester_name": "M. Dupont",
            "requester_contact": "dupont@example.org",
            "place": "Place du marché",
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "cameras": [camera.pk],
            "extra_polygons": [[[0, 0], [0.5, 0], [0.5, 0.5]]],
        }


def test_window_and_cameras_frozen_once_held(world: Any) -> None:
    obj = make_request(world.a, cameras=[world.cam_a])
    other = make_camera(world.a)
    with as_system():
        sr.transition(obj, "searching")
        sr.save_request(obj, cameras=[world.cam_a, other])  # still free while searching
        sr.save_request(obj, cameras=[world.cam_a])
        sr.transition(obj, "found")
        obj.notes = "Personne vue à 08:12"
        sr.save_request(obj, cameras=[world.cam_a])  # unchanged: accepted
        with pytest.raises(ValidationError):
            sr.save_request(obj, cameras=[world.cam_a, other])
        obj.window_end = obj.window_end + timedelta(minutes=5)
        with pytest.raises(ValidationError):
            sr.save_request(obj)


def test_member_cannot_change(world: Any) -> None:
    obj = make_request(world.a, cameras=[])
    obj.member = world.b
    with as_system(), pytest.raises(ValidationError) as caught:
        sr.save_request(obj)
    assert "member" in caught.value.message_dict

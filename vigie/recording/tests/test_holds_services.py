"""Placing and releasing legal holds: who may, what is required, what is journaled."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from vigie.audit.models import JournalEntry
from vigie.core import actors
from vigie.core.models import IsolationError
from vigie.core.testing import make_camera, make_member, make_user
from vigie.recording import services
from vigie.recording.models import LegalHold
from vigie.recording.tests.retention_support import NOW, world

__all__ = ["world"]  # fixture

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def place(world, **kw):
    args = {
        "member": world.member,
        "cameras": [world.camera, world.other_camera],
        "start": NOW - 3 * DAY,
        "end": NOW - 2 * DAY,
        "reason": "Réquisition OPJ, vol à l'arraché",
        "reference": "PV-2026-123",
    }
    args.update(kw)
    return services.place_hold(**args)


def test_place_hold_journals_reason_reference_and_cameras(world):
    operator = make_user(role="csu_operator", members=[world.member])
    with actors.acting_as(operator):
        hold = place(world)
    assert hold.active and hold.placed_by == operator
    assert set(hold.cameras.all()) == {world.camera, world.other_camera}
    entry = JournalEntry.objects.get(action="recording.legalhold.place")
    assert entry.actor_name == operator.username
    assert entry.reason == "Réquisition OPJ, vol à l'arraché"
    assert entry.member_id == world.member.pk
    assert entry.details["reference"] == "PV-2026-123"
    assert entry.details["cameras"] == sorted([world.camera.pk, world.other_camera.pk])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"reference": ""}, "reference"),
        ({"cameras": []}, "cameras"),
    ],
)
def test_place_hold_requires_reason_reference_and_cameras(world, changes, field):
    with pytest.raises(ValidationError) as exc:
        place(world, **changes)
    assert field in exc.value.message_dict
    assert not LegalHold.objects.unrestricted().exists()


def test_end_must_follow_start(world):
    with pytest.raises(ValidationError):
        place(world, start=NOW, end=NOW - DAY)


def test_cameras_must_all_be_the_members(world):
    elsewhere = make_camera(make_member())
    with pytest.raises(ValidationError) as exc:
        place(world, cameras=[world.camera, elsewhere])
    assert "cameras" in exc.value.message_dict
    assert not LegalHold.objects.unrestricted().exists()


def test_naive_times_are_read_in_the_servers_zone(world):
    hold = place(world, start=datetime(2026, 11, 1, 8, 0), end=datetime(2026, 11, 1, 12, 0))
    assert hold.start == timezone.make_aware(datetime(2026, 11, 1, 8, 0))


@pytest.mark.parametrize("role", ["town_viewer", "technician", "auditor", "judicial_officer"])
def test_roles_without_add_cannot_place_holds(world, role):
    person = make_user(role=role, members=[world.member])
    with actors.acting_as(person), pytest.raises(IsolationError):
        place(world)
    assert not LegalHold.objects.unrestricted().exists()


def test_an_operator_of_another_member_cannot_place_holds_here(world):
    operator = make_user(role="csu_operator", members=[make_member()])
    with actors.acting_as(operator), pytest.raises(IsolationError):
        place(world)


def test_release_requires_a_reason_and_is_journaled(world):
    hold = place(world)
    operator = make_user(role="csu_operator", members=[world.member])
    with actors.acting_as(operator):
        with pytest.raises(ValidationError):
            services.release_hold(hold, " ")
        services.release_hold(hold, "Procédure close, images remises")
        with pytest.raises(ValidationError):
            services.release_hold(hold, "Encore")
    hold.refresh_from_db()
    assert not hold.active and hold.released_by == operator
    assert hold.release_reason == "Procédure close, images remises"
    entry = JournalEntry.objects.get(action="recording.legalhold.release")
    assert entry.actor_name == operator.username
    assert entry.reason == "Procédure close, images remises"


def test_a_viewer_cannot_release(world):
    hold = place(world)
    viewer = make_user(role="town_viewer", members=[world.member])
    with actors.acting_as(viewer), pytest.raises(IsolationError):
        services.release_hold(hold, "Je voudrais")
    assert LegalHold.objects.unrestricted().get(pk=hold.pk).active


def test_active_holds_follow_the_viewers_reach(world):
    mine = place(world)
    released = place(world, reference="PV-old")
    services.release_hold(released, "Close")
    other_member = make_member()
    theirs = services.place_hold(
        other_member, [make_camera(other_member)], NOW - DAY, NOW, "Réquisition", "PV-9"
    )
    viewer = make_user(role="town_viewer", members=[world.member])
    assert list(services.active_holds(viewer)) == [mine]
    assert set(services.active_holds(actors.system("tests"))) == {mine, theirs}
    assert not services.active_holds(make_user()).exists()

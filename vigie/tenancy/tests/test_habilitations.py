"""Habilitations end to end: who sees which images, now; the pages, API and CLI.

The matrix runs through ``Camera.objects.restrict``, the one gate every image endpoint
uses (live, playback, thumbnails, exports); test_habilitation_http checks the gate on
the endpoints themselves.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import translation

from vigie.audit.models import JournalEntry
from vigie.core.api_testing import ApiIsolationCases
from vigie.core.testing import (
    IsolationCases,
    as_system,
    make_authorisation,
    make_camera,
    make_member,
    make_user,
)
from vigie.inventory.models import Camera
from vigie.servicedesk.models import Notification
from vigie.tenancy import habilitation_services as services
from vigie.tenancy.models import Approval, Designation, OperatorDelegation, ViewingStatus
from vigie.tenancy.roles import Role

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
IMAGE = ("view_live", "view_playback", "export")


def rights(user: Any, camera: Any) -> set[str]:
    return {
        action
        for action in ("view", *IMAGE)
        if Camera.objects.restrict(user, action).filter(pk=camera.pk).exists()
    }


@pytest.fixture
def town() -> Any:
    member = make_member(departement="92")
    camera = make_camera(member)
    make_authorisation(member, [camera])
    return member, camera


def viewer(member: Any, **kw: Any) -> Any:
    return make_user(role=Role.TOWN_VIEWER, members=[member], habilitated=False, **kw)


def designate(member: Any, user: Any, **kw: Any) -> Designation:
    with as_system():
        kw.setdefault("valid_from", date.today() - timedelta(days=30))
        return services.designate(member, user, **kw)


def approve(user: Any, departement: str = "92", **kw: Any) -> Approval:
    today = date.today()
    with as_system():
        return services.record_approval(
            user,
            kw.pop("number", "AGR-1"),
            departement,
            kw.pop("granted_on", today - timedelta(days=400)),
            kw.pop("expires_on", today + timedelta(days=400)),
        )


# --------------------------------------------------------------------------- the matrix


def test_role_alone_shows_the_camera_but_no_image(town: Any) -> None:
    member, camera = town
    assert rights(viewer(member), camera) == {"view"}


def test_designation_and_approval_open_the_images(town: Any) -> None:
    member, camera = town
    person = viewer(member)
    designate(member, person, export=True)
    assert rights(person, camera) == {"view"}  # an agent also needs the prefect's approval
    approve(person)
    # A town viewer's role has no export (the brief: they request one).
    assert rights(person, camera) == {"view", "view_live", "view_playback"}


def test_designation_limits_the_actions(town: Any) -> None:
    member, camera = town
    person = viewer(member)
    designate(member, person, playback=False)
    approve(person)
    assert rights(person, camera) == {"view", "view_live"}


def test_police_officer_needs_no_approval(town: Any) -> None:
    member, camera = town
    person = viewer(member, viewing_status=ViewingStatus.MUNICIPAL_POLICE)
    designate(member, person)
    assert rights(person, camera) == {"view", "view_live", "view_playback"}


@pytest.mark.parametrize(
    "change",
    [
        {"suspended": True},
        {"withdrawn": True},
    ],
)
def test_suspended_or_withdrawn_approval_closes_at_once(town: Any, change: dict) -> None:
    member, camera = town
    person = viewer(member)
    designate(member, person)
    approval = approve(person)
    assert "view_live" in rights(person, camera)
    with as_system():
        services.set_approval_state(approval, **change)
    assert rights(person, camera) == {"view"}


def test_expired_approval_and_other_departement(town: Any) -> None:
    member, camera = town
    person = viewer(member)
    designate(member, person)
    approve(person, expires_on=date.today() - timedelta(days=1))
    assert rights(person, camera) == {"view"}
    approve(person, departement="94", number="AGR-94")
    assert rights(person, camera) == {"view"}  # valid only in the Val-de-Marne
    approve(person, number="AGR-92")
    assert "view_live" in rights(person, camera)


def test_expired_future_and_withdrawn_designations(town: Any) -> None:
    member, camera = town
    person = viewer(member, viewing_status=ViewingStatus.MUNICIPAL_POLICE)
    today = date.today()
    designate(
        member, person, valid_from=today - timedelta(days=60), valid_until=today - timedelta(days=1)
    )
    designate(member, person, valid_from=today + timedelta(days=1))
    assert rights(person, camera) == {"view"}
    current = designate(member, person)
    assert "view_live" in rights(person, camera)
    with as_system():
        services.withdraw_designation(current)
    assert rights(person, camera) == {"view"}


def test_designation_by_another_member_opens_nothing_here(town: Any) -> None:
    member, camera = town
    other = make_member(departement="92")
    person = viewer(member, viewing_status=ViewingStatus.MUNICIPAL_POLICE)
    designate(other, person)
    assert rights(person, camera) == {"view"}
    stranger = make_user(role=Role.TOWN_VIEWER, members=[other])  # fully habilitated there
    assert rights(stranger, camera) == set()


def test_superuser_sees_no_image_without_designation(town: Any) -> None:
    _, camera = town
    admin = make_user(role=Role.SYNDICATE_ADMIN, all_members=True, is_superuser=True)
    assert rights(admin, camera) == {"view"}


def operator_of(member: Any) -> Any:
    person = make_user(role=Role.CSU_OPERATOR, members=[member], habilitated=False)
    designate(member, person, export=True)
    approve(person)
    return person


def test_operator_needs_the_members_delegation(town: Any) -> None:
    member, camera = town
    person = operator_of(member)
    assert rights(person, camera) == {"view"}  # the town has not delegated viewing
    with as_system():
        services.delegate(member, playback=False, export=False)
    assert rights(person, camera) == {"view", "view_live"}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 11, 24, 10, 0, tzinfo=PARIS), {"view"}),  # Tuesday, office hours
        (datetime(2026, 11, 24, 20, 0, tzinfo=PARIS), {"view", *IMAGE}),
        (datetime(2026, 11, 25, 7, 59, tzinfo=PARIS), {"view", *IMAGE}),
        (datetime(2026, 11, 28, 14, 0, tzinfo=PARIS), {"view"}),  # Saturday: not listed
    ],
)
def test_operator_outside_the_delegated_hours(town: Any, when: datetime, expected: set) -> None:
    member, camera = town
    person = operator_of(member)
    with as_system():
        services.delegate(member, weekdays=[1, 2, 3, 4, 5], start=time(18), end=time(8))
    with patch("vigie.tenancy.habilitations.timezone.now", return_value=when):
        assert rights(person, camera) == expected


def test_delegation_does_not_replace_the_designation(town: Any) -> None:
    member, camera = town
    person = make_user(role=Role.CSU_OPERATOR, members=[member], habilitated=False)
    approve(person)
    with as_system():
        services.delegate(member)
    assert rights(person, camera) == {"view"}


def test_lift_mask_permission_needs_a_playback_designation(town: Any) -> None:
    from django.contrib.contenttypes.models import ContentType

    from vigie.tenancy.models import ObjectPermission

    member, camera = town
    person = viewer(member, viewing_status=ViewingStatus.MUNICIPAL_POLICE)
    perm = ObjectPermission.objects.create(name="lift", actions=["lift_mask"], all_members=True)
    perm.object_types.set([ContentType.objects.get_for_model(Camera)])
    perm.users.set([person])
    assert not Camera.objects.restrict(person, "lift_mask").exists()
    designate(member, person, live=True, playback=False)
    assert not Camera.objects.restrict(person, "lift_mask").exists()
    designate(member, person, live=False, playback=True)
    assert Camera.objects.restrict(person, "lift_mask").filter(pk=camera.pk).exists()


# --------------------------------------------------------------------------- model rules


def test_approval_lasts_five_years_at_most(town: Any) -> None:
    from django.core.exceptions import ValidationError

    member, _ = town
    person = viewer(member)
    with translation.override("en"), pytest.raises(ValidationError, match="5 years"):
        approve(person, granted_on=date(2020, 1, 1), expires_on=date(2025, 1, 2))
    with pytest.raises(ValidationError):
        approve(person, granted_on=date(2024, 1, 1), expires_on=date(2023, 1, 1))


@pytest.mark.parametrize("days", [[], [0], [8], [1, 1], ["1"], "1-5", [True]])
def test_delegation_days_are_checked(town: Any, days: Any) -> None:
    from django.core.exceptions import ValidationError

    member, _ = town
    with as_system(), pytest.raises(ValidationError):
        OperatorDelegation(member=member, weekdays=days).save()


def test_designation_allows_some_action(town: Any) -> None:
    from django.core.exceptions import ValidationError

    member, _ = town
    with pytest.raises(ValidationError):
        designate(member, viewer(member), live=False, playback=False, export=False)


def test_changes_are_journaled(town: Any) -> None:
    member, _ = town
    person = viewer(member)
    approval = approve(person)
    with as_system():
        services.set_approval_state(approval, suspended=True)
    actions = list(
        JournalEntry.objects.filter(action__startswith="tenancy.approval").values_list(
            "action", flat=True
        )
    )
    assert actions == ["tenancy.approval.create", "tenancy.approval.update"]


# --------------------------------------------------------------------------- reminders


def test_reminder_mails_the_administrators(town: Any, english: None) -> None:
    member, camera = town
    admin = make_user(role=Role.SYNDICATE_ADMIN, all_members=True, email="dsi@smo.example")
    no_mail = make_user(role=Role.SYNDICATE_ADMIN, all_members=True, email="")
    make_user(role=Role.TOWN_VIEWER, members=[member], email="mairie@town.example")
    person = viewer(member)
    approve(person, number="AGR-SOON", expires_on=date.today() + timedelta(days=40))
    approve(person, number="AGR-LATER", expires_on=date.today() + timedelta(days=400))
    make_authorisation(
        member, [camera], number="AP-SOON", expires_on=date.today() + timedelta(days=90)
    )
    reminder = services.send_expiry_reminder()
    assert [a.number for a in reminder.approvals] == ["AGR-SOON"]
    assert [a.number for a in reminder.authorisations] == ["AP-SOON"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dsi@smo.example"]
    assert "AGR-SOON" in mail.outbox[0].body and "AP-SOON" in mail.outbox[0].body
    assert "AGR-LATER" not in mail.outbox[0].body
    assert JournalEntry.objects.filter(action="tenancy.expiry_reminder.sent").count() == 1
    # And in the notification list of every administrator, e-mail or not.
    told = Notification.objects.filter(user__in=[admin, no_mail])
    assert told.count() == 2
    assert all("1 approval(s)" in n.text and n.link == "/approvals/" for n in told)
    assert not Notification.objects.exclude(user__in=[admin, no_mail]).exists()


def test_nothing_due_sends_nothing(town: Any) -> None:
    make_user(role=Role.SYNDICATE_ADMIN, all_members=True, email="dsi@smo.example")
    services.send_expiry_reminder()
    assert mail.outbox == []
    assert not Notification.objects.exists()


# --------------------------------------------------------------------------- CLI


def test_cli_designate_approve_delegate_check(town: Any, capsys: Any) -> None:
    member, camera = town
    person = make_user("karim", role=Role.CSU_OPERATOR, members=[member], habilitated=False)
    call_command("habilitation", "designate", "karim", "--member", member.slug, "--export")
    call_command(
        "habilitation", "approval", "add", "karim", "--number", "AGR-7",
        "--departement", "92", "--granted", "2024-01-01", "--expires", "2028-12-31",
    )  # fmt: skip
    call_command("habilitation", "delegate", "--member", member.slug, "--days", "1-7")
    capsys.readouterr()
    call_command("habilitation", "check", "karim", "--member", member.slug, "--camera", camera.name)
    out = capsys.readouterr().out
    assert "view_live      yes" in out and "export         yes" in out
    approval = Approval.objects.unrestricted().get(user=person)
    call_command("habilitation", "approval", "suspend", str(approval.pk))
    assert rights(person, camera) == {"view"}
    call_command("habilitation", "list", "--user", "karim", "--json")
    assert '"number": "AGR-7"' in capsys.readouterr().out


# --------------------------------------------------------------------------- isolation


class TestDesignationIsolation(IsolationCases):
    model = Designation

    def make(self, member: Any) -> Any:
        return designate(member, make_user())


class TestDelegationIsolation(IsolationCases):
    model = OperatorDelegation

    def make(self, member: Any) -> Any:
        with as_system():
            return services.delegate(member)


class TestDesignationApi(ApiIsolationCases):
    basename = "designation"
    model = Designation
    update_payload = {"reference": "Arrêté 2026-12"}
    can_delete = False

    def make(self, member: Any) -> Any:
        return designate(member, make_user())

    def payload(self, member: Any) -> dict[str, Any]:
        person = make_user(role=Role.TOWN_VIEWER, members=[member], habilitated=False)
        return {"member": member.slug, "user": person.username, "valid_from": "2026-01-01"}


class TestDelegationApi(ApiIsolationCases):
    basename = "operatordelegation"
    model = OperatorDelegation
    update_payload = {"note": "Convention, avenant 2"}

    def make(self, member: Any) -> Any:
        with as_system():
            return services.delegate(member)

    def payload(self, member: Any) -> dict[str, Any]:
        return {"member": member.slug, "weekdays": [6, 7], "start_time": "00:00"}

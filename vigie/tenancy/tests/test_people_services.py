"""Managing people through tenancy.services: reach rules, self-protection, tokens, journal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import translation
from rest_framework.authtoken.models import Token

from vigie.audit.models import JournalEntry
from vigie.core import actors
from vigie.core.models import IsolationError, NoActorError
from vigie.core.testing import make_member, make_user
from vigie.tenancy import services
from vigie.tenancy.models import ObjectPermission, RoleAssignment, User
from vigie.tenancy.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages matched below are the English msgids (the UI shows them in French)."""
    with translation.override("en"):
        yield


@pytest.fixture
def towns() -> tuple[Any, Any]:
    return make_member("antony"), make_member("sceaux")


def entries(action: str, user: User) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(action=action, object_ids=[str(user.pk)]))


def snapshot(user: User) -> dict[str, Any]:
    fresh = User.objects.get(pk=user.pk)
    roles = sorted(RoleAssignment.objects.filter(user=user).values_list("pk", flat=True))
    fields = {f.attname: f.value_from_object(fresh) for f in fresh._meta.concrete_fields}
    return {**fields, "roles": roles, "token": Token.objects.filter(user=user).exists()}


def permission(user: User, member: Any, actions: list[str]) -> ObjectPermission:
    perm = ObjectPermission.objects.create(name=f"people-{user.pk}", actions=actions)
    perm.object_types.set([ContentType.objects.get_for_model(User)])
    perm.members.set([member])
    perm.users.set([user])
    return perm


# --------------------------------------------------------------------------- profile


def test_update_changes_the_profile_and_journals_the_diff(towns):
    a, _b = towns
    admin = make_user("admin-a", role=Role.SYNDICATE_ADMIN, members=[a])
    person = make_user("pm", role=Role.TOWN_VIEWER, members=[a], email="old@antony.example")
    with actors.acting_as(admin):
        services.update_user(person, last_name="Martin", email="pm@ANTONY.example")
    person.refresh_from_db()
    assert (person.last_name, person.email) == ("Martin", "pm@antony.example")
    [entry] = entries("tenancy.user.update", person)
    assert entry.actor_name == "admin-a" and entry.member_id == a.pk
    assert entry.details["changes"]["last_name"] == ["", "Martin"]
    assert entry.details["changes"]["email"] == ["old@antony.example", "pm@antony.example"]
    with actors.acting_as(admin):
        services.update_user(person, last_name="Martin")  # no change: no entry
    assert len(entries("tenancy.user.update", person)) == 1


@pytest.mark.parametrize(
    "fields, key",
    [
        ({"username": "root"}, "username"),
        ({"is_active": False}, "is_active"),
        ({"is_superuser": True}, "is_superuser"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "0" * 31}, "phone"),
    ],
)
def test_update_refuses_other_fields_and_bad_values(towns, fields, key):
    a, _b = towns
    person = make_user(role=Role.TOWN_VIEWER, members=[a])
    before = snapshot(person)
    with pytest.raises(ValidationError) as caught:
        services.update_user(person, **fields)
    assert key in caught.value.message_dict
    assert snapshot(person) == before
    assert not entries("tenancy.user.update", person)


# --------------------------------------------------------------------------- reach


def test_member_admin_manages_people_of_their_member_only(towns):
    a, b = towns
    admin = make_user(role=Role.SYNDICATE_ADMIN, members=[a])
    in_a = make_user(role=Role.TOWN_VIEWER, members=[a])
    in_b = make_user(role=Role.TOWN_VIEWER, members=[b])
    shared = make_user(role=Role.TECHNICIAN, members=[a, b])
    two_roles = make_user(role=Role.TOWN_VIEWER, members=[a])
    services.assign_role(two_roles, Role.AUDITOR, [b])
    everywhere = make_user(role=Role.CSU_OPERATOR, all_members=True)
    no_role = make_user()
    superuser = make_user(role=Role.TOWN_VIEWER, members=[a], is_superuser=True)
    with actors.acting_as(admin):
        services.update_user(in_a, first_name="Ok")
        for person in (in_b, shared, two_roles, everywhere, no_role, superuser):
            before = snapshot(person)
            with pytest.raises(IsolationError):
                services.update_user(person, first_name="No")
            with pytest.raises(IsolationError):
                services.deactivate_user(person)
            assert snapshot(person) == before
    assert User.objects.get(pk=in_a.pk).first_name == "Ok"


def test_every_member_person_needs_a_syndicate_wide_manager(towns):
    a, _b = towns
    everywhere = make_user(role=Role.AUDITOR, all_members=True)
    member_admin = make_user(role=Role.SYNDICATE_ADMIN, members=[a])
    wide_admin = make_user(role=Role.SYNDICATE_ADMIN, all_members=True)
    with actors.acting_as(member_admin), pytest.raises(IsolationError, match="every member"):
        services.deactivate_user(everywhere)
    with actors.acting_as(wide_admin):
        services.deactivate_user(everywhere)
    assert not User.objects.get(pk=everywhere.pk).is_active


def test_viewer_and_auditor_cannot_manage_anyone(towns):
    a, _b = towns
    person = make_user(role=Role.TOWN_VIEWER, members=[a])
    assignment = person.role_assignments.get()
    for role in (Role.TOWN_VIEWER, Role.AUDITOR):
        actor = make_user(role=role, members=[a])
        with actors.acting_as(actor):
            with pytest.raises(IsolationError):
                services.update_user(person, first_name="X")
            with pytest.raises(IsolationError):
                services.deactivate_user(person)
            with pytest.raises(IsolationError):
                services.revoke_role(assignment)
            with pytest.raises(IsolationError):
                services.add_role(person, Role.AUDITOR, [a])
    assert RoleAssignment.objects.filter(user=person).count() == 1


def test_change_permission_alone_does_not_deactivate(towns):
    """Deactivation asks for ``delete`` over the person, the rest for ``change``."""
    a, _b = towns
    person = make_user(role=Role.TOWN_VIEWER, members=[a])
    editor = make_user()
    permission(editor, a, ["view", "change"])
    with actors.acting_as(editor):
        services.update_user(person, organisation="Police municipale")
        with pytest.raises(IsolationError):
            services.deactivate_user(person)
    person.refresh_from_db()
    assert person.organisation == "Police municipale" and person.is_active


def test_system_party_manages_anyone(towns):
    everywhere = make_user(role=Role.SYNDICATE_ADMIN, all_members=True)
    with actors.acting_as(actors.system("cli:root")):
        services.deactivate_user(everywhere)
        services.reactivate_user(everywhere)
    [entry] = entries("tenancy.user.reactivate", everywhere)
    assert entry.actor_system and entry.actor_name == "cli:root"


def test_nobody_acting_writes_nothing(towns):
    a, _b = towns
    person = make_user(role=Role.TOWN_VIEWER, members=[a])
    with actors.acting_as(None):
        with pytest.raises(NoActorError):
            services.update_user(person, first_name="X")
        with pytest.raises(NoActorError):
            services.deactivate_user(person)
    assert User.objects.get(pk=person.pk).is_active


# --------------------------------------------------------------------------- (de)activation


def test_deactivation_deletes_the_token_and_is_journaled(towns):
    a, _b = towns
    admin = make_user("admin-a", role=Role.SYNDICATE_ADMIN, members=[a])
    person = make_user(role=Role.TOWN_VIEWER, members=[a])
    Token.objects.create(user=person)
    with actors.acting_as(admin):
        services.deactivate_user(person)
    assert not User.objects.get(pk=person.pk).is_active
    assert not Token.objects.filter(user=person).exists()
    assert User.objects.filter(pk=person.pk).exists()  # never deleted
    assert RoleAssignment.objects.filter(user=person).exists()  # roles kept for reactivation
    [entry] = entries("tenancy.user.deactivate", person)
    assert entry.details == {"token_deleted": True} and entry.member_id == a.pk
    with actors.acting_as(admin), pytest.raises(ValidationError, match="already deactivated"):
        services.deactivate_user(person)
    with actors.acting_as(admin):
        services.reactivate_user(person)
    assert User.objects.get(pk=person.pk).is_active
    assert len(entries("tenancy.user.reactivate", person)) == 1
    with actors.acting_as(admin), pytest.raises(ValidationError, match="already active"):
        services.reactivate_user(person)


def test_nobody_deactivates_themselves(towns):
    _a, _b = towns
    admin = make_user(role=Role.SYNDICATE_ADMIN, all_members=True)
    Token.objects.create(user=admin)
    with actors.acting_as(admin), pytest.raises(ValidationError, match="yourself"):
        services.deactivate_user(admin)
    assert User.objects.get(pk=admin.pk).is_active
    assert Token.objects.filter(user=admin).exists()
    assert not entries("tenancy.user.deactivate", admin)


def test_deactivated_person_has_no_rights_left(towns):
    a, _b = towns
    person = make_user(role=Role.SYNDICATE_ADMIN, members=[a])
    services.deactivate_user(person)
    target = make_user(role=Role.TOWN_VIEWER, members=[a])
    with actors.acting_as(User.objects.get(pk=person.pk)), pytest.raises(IsolationError):
        services.update_user(target, first_name="X")
    assert User.objects.get(pk=target.pk).first_name == ""


# --------------------------------------------------------------------------- roles


def test_revoke_role_removes_it_and_journals(towns):
    a, _b = towns
    admin = make_user(role=Role.SYNDICATE_ADMIN, members=[a])
    person = make_user(role=Role.TOWN_VIEWER, members=[a])
    extra = services.assign_role(person, Role.TECHNICIAN, [a])
    with actors.acting_as(admin):
        services.revoke_role(extra)
    assert list(RoleAssignment.objects.filter(user=person).values_list("role", flat=True)) == [
        Role.TOWN_VIEWER
    ]
    [entry] = entries("tenancy.role.revoke", person)
    assert entry.details == {
        "assignment": extra.pk,
        "role": Role.TECHNICIAN,
        "members": ["antony"],
        "all": False,
    }
    assert entry.member_id == a.pk
    with actors.acting_as(admin), pytest.raises(ValidationError, match="already removed"):
        services.revoke_role(extra)


def test_revoke_role_of_a_person_reaching_another_member_is_refused(towns):
    a, b = towns
    admin = make_user(role=Role.SYNDICATE_ADMIN, members=[a])
    person = make_user(role=Role.TOWN_VIEWER, members=[a])
    in_b = services.assign_role(person, Role.TOWN_VIEWER, [b])
    in_a = person.role_assignments.exclude(pk=in_b.pk).get()
    for assignment in (in_a, in_b):
        with actors.acting_as(admin), pytest.raises(IsolationError, match="do not manage"):
            services.revoke_role(assignment)
    assert RoleAssignment.objects.filter(user=person).count() == 2
    assert not entries("tenancy.role.revoke", person)


def test_nobody_revokes_their_own_last_administrator_role(towns):
    a, b = towns
    admin = make_user(role=Role.SYNDICATE_ADMIN, members=[a, b])
    only = admin.role_assignments.get()
    with actors.acting_as(admin), pytest.raises(ValidationError, match="last administrator"):
        services.revoke_role(only)
    assert RoleAssignment.objects.filter(pk=only.pk).exists()
    # With a second administrator role, one of them may go; a non-admin role always may.
    second = services.assign_role(admin, Role.SYNDICATE_ADMIN, [a])
    viewer = services.assign_role(admin, Role.TOWN_VIEWER, [a])
    with actors.acting_as(admin) as actor:
        services.revoke_role(viewer)
        services.revoke_role(only)
        assert actor is not None
        assert actor.grants().member_ids("tenancy.user", "change") == {a.pk}
        with pytest.raises(ValidationError, match="last administrator"):
            services.revoke_role(second)
    assert list(RoleAssignment.objects.filter(user=admin)) == [second]
    # Another administrator may remove it.
    with actors.acting_as(make_user(role=Role.SYNDICATE_ADMIN, members=[a])):
        services.revoke_role(second)
    assert not RoleAssignment.objects.filter(user=admin).exists()


def test_add_role_checks_the_person_and_the_new_members(towns):
    a, b = towns
    admin = make_user(role=Role.SYNDICATE_ADMIN, members=[a])
    person = make_user(role=Role.TOWN_VIEWER, members=[a])
    in_b = make_user(role=Role.TOWN_VIEWER, members=[b])
    with actors.acting_as(admin):
        added = services.add_role(person, Role.TECHNICIAN, [a])
        with pytest.raises(IsolationError):
            services.add_role(person, Role.TECHNICIAN, [b])
        with pytest.raises(IsolationError):
            services.add_role(person, Role.AUDITOR, all_members=True)
        with pytest.raises(IsolationError):
            services.add_role(in_b, Role.TECHNICIAN, [a])
        with pytest.raises(ValidationError, match="already holds"):
            services.add_role(person, Role.TECHNICIAN, [a])
        with pytest.raises(ValidationError):
            services.add_role(person, "emperor", [a])
        with pytest.raises(ValidationError):
            services.add_role(person, Role.AUDITOR, [])
        with pytest.raises(ValidationError, match="not both"):
            services.add_role(person, Role.AUDITOR, [a], all_members=True)
    roles = set(RoleAssignment.objects.filter(user=person).values_list("role", flat=True))
    assert roles == {Role.TOWN_VIEWER, Role.TECHNICIAN}
    assert RoleAssignment.objects.filter(user=in_b).count() == 1
    [entry] = JournalEntry.objects.filter(action="tenancy.role.assign", object_ids=[str(person.pk)])
    assert entry.details["role"] == Role.TECHNICIAN and added.members.get() == a

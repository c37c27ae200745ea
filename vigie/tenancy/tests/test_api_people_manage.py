"""Changing people through the API: profile, deactivation, reactivation, roles.

Each endpoint in three cases (without permission, with permission, as an administrator
of another member), plus a person who reaches a member the caller does not manage; a
refusal leaves the person exactly as they were. The API answers in French, like the UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from vigie.audit.models import JournalEntry
from vigie.core.api_testing import detail_url, token_client
from vigie.core.testing import make_member, make_user
from vigie.tenancy import services
from vigie.tenancy.models import RoleAssignment, User
from vigie.tenancy.roles import Role

pytestmark = pytest.mark.django_db


@dataclass
class People:
    a: Any
    b: Any
    admin_a: Any
    auditor_a: Any
    admin_b: Any
    person: Any  # a town viewer of A, with an API token and a second role
    shared: Any  # a technician of A and B


@pytest.fixture
def people() -> People:
    a, b = make_member("antony"), make_member("sceaux")
    person = make_user("pm", role=Role.TOWN_VIEWER, members=[a])
    services.assign_role(person, Role.TECHNICIAN, [a])
    Token.objects.create(user=person)
    return People(
        a=a,
        b=b,
        admin_a=make_user("admin-a", role=Role.SYNDICATE_ADMIN, members=[a]),
        auditor_a=make_user("auditor-a", role=Role.AUDITOR, members=[a]),
        admin_b=make_user("admin-b", role=Role.SYNDICATE_ADMIN, members=[b]),
        person=person,
        shared=make_user("shared", role=Role.TECHNICIAN, members=[a, b]),
    )


def roles_url(user: Any) -> str:
    return reverse("v1:user-roles", kwargs={"pk": user.pk})


def role_url(user: Any, assignment_id: int) -> str:
    return reverse("v1:user-remove-role", kwargs={"pk": user.pk, "assignment_id": assignment_id})


def reactivate_url(user: Any) -> str:
    return reverse("v1:user-reactivate", kwargs={"pk": user.pk})


def snapshot(user: Any) -> dict[str, Any]:
    fresh = User.objects.get(pk=user.pk)
    return {
        **{f.attname: f.value_from_object(fresh) for f in fresh._meta.concrete_fields},
        "roles": sorted(RoleAssignment.objects.filter(user=user).values_list("pk", flat=True)),
        "token": Token.objects.filter(user=user).exists(),
    }


def last_role(user: Any) -> int:
    return RoleAssignment.objects.filter(user=user).order_by("-pk").values_list("pk", flat=True)[0]


# Each new endpoint: how to call it on a person. Reactivation is tried on a deactivated one.
Call = Callable[[Any, Any], Any]
CALLS: dict[str, Call] = {
    "patch": lambda c, u: c.patch(detail_url("user", u.pk), {"first_name": "X"}, format="json"),
    "delete": lambda c, u: c.delete(detail_url("user", u.pk)),
    "reactivate": lambda c, u: c.post(reactivate_url(u)),
    "add-role": lambda c, u: c.post(
        roles_url(u), {"role": "auditor", "members": ["antony"]}, format="json"
    ),
    "remove-role": lambda c, u: c.delete(role_url(u, last_role(u))),
}


def target(people: People, endpoint: str, who: str = "person") -> Any:
    user = getattr(people, who)
    if endpoint == "reactivate":
        services.deactivate_user(user)
    return user


@pytest.mark.parametrize("endpoint", CALLS)
def test_without_permission_is_403_and_nothing_changes(people, endpoint):
    user = target(people, endpoint)
    before = snapshot(user)
    for caller in (people.auditor_a, make_user()):
        response = CALLS[endpoint](token_client(caller), user)
        assert response.status_code == 403, response.content
        assert response.json()["detail"]
    assert snapshot(user) == before


@pytest.mark.parametrize("endpoint", CALLS)
def test_admin_of_another_member_gets_404_and_nothing_changes(people, endpoint):
    user = target(people, endpoint)
    before = snapshot(user)
    response = CALLS[endpoint](token_client(people.admin_b), user)
    assert response.status_code == 404, response.content
    assert response.json()["detail"]
    assert snapshot(user) == before


@pytest.mark.parametrize("endpoint", CALLS)
def test_person_reaching_another_member_is_403_and_unchanged(people, endpoint):
    user = target(people, endpoint, "shared")
    before = snapshot(user)
    response = CALLS[endpoint](token_client(people.admin_a), user)
    assert response.status_code == 403, response.content
    assert "que vous ne gérez pas" in response.json()["detail"]
    assert snapshot(user) == before


# --------------------------------------------------------------------------- with permission


def test_patch_changes_the_profile_only(people):
    client = token_client(people.admin_a)
    url = detail_url("user", people.person.pk)
    body = {"first_name": "Pierre", "last_name": "Martin", "phone": "01 40 00 00 00"}
    response = client.patch(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["last_name"] == "Martin" and response.json()["is_active"]
    person = User.objects.get(pk=people.person.pk)
    assert (person.first_name, person.phone) == ("Pierre", "01 40 00 00 00")
    assert JournalEntry.objects.filter(action="tenancy.user.update", actor_name="admin-a").exists()


@pytest.mark.parametrize(
    "body, key",
    [
        ({"username": "root"}, "username"),
        ({"password": "Une-phrase-de-passe-longue-2025"}, "password"),
        ({"is_active": False}, "is_active"),
        ({"role": "auditor", "members": ["antony"]}, "role"),
        ({"all_members": True}, "all_members"),
        ({"email": "not-an-email"}, "email"),
        ({"first_name": "x" * 151}, "first_name"),
    ],
)
def test_patch_refuses_anything_but_the_profile(people, body, key):
    before = snapshot(people.person)
    url = detail_url("user", people.person.pk)
    response = token_client(people.admin_a).patch(url, body, format="json")
    assert response.status_code == 400, response.content
    assert key in response.json()
    assert snapshot(people.person) == before


def test_delete_deactivates_and_the_token_stops_working(people):
    own = token_client(people.person)
    assert own.get(reverse("v1:me")).status_code == 200
    client = token_client(people.admin_a)
    response = client.delete(detail_url("user", people.person.pk))
    assert response.status_code == 204, response.content
    assert client.get(detail_url("user", people.person.pk)).json()["is_active"] is False
    assert not Token.objects.filter(user=people.person).exists()
    assert own.get(reverse("v1:me")).status_code == 401
    again = client.delete(detail_url("user", people.person.pk))
    assert again.status_code == 400 and "déjà désactivée" in str(again.json())


def test_nobody_deactivates_themselves_through_the_api(people):
    client = token_client(people.admin_a)
    before = snapshot(people.admin_a)
    response = client.delete(detail_url("user", people.admin_a.pk))
    assert response.status_code == 400
    assert "vous-même" in str(response.json())
    assert snapshot(people.admin_a) == before


def test_reactivate(people):
    services.deactivate_user(people.person)
    client = token_client(people.admin_a)
    response = client.post(reactivate_url(people.person))
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is True
    assert User.objects.get(pk=people.person.pk).is_active
    assert client.post(reactivate_url(people.person)).status_code == 400  # already active


def test_add_list_and_remove_roles(people):
    client = token_client(people.admin_a)
    body = {"role": "auditor", "members": ["antony"]}
    response = client.post(roles_url(people.person), body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created == {**body, "id": created["id"], "all_members": False}
    listed = client.get(roles_url(people.person)).json()
    assert [r["role"] for r in listed] == ["town_viewer", "technician", "auditor"]
    assert client.get(detail_url("user", people.person.pk)).json()["roles"][-1] == {
        "role": "auditor",
        "members": ["antony"],
        "all_members": False,
    }
    response = client.delete(role_url(people.person, created["id"]))
    assert response.status_code == 204, response.content
    assert not RoleAssignment.objects.filter(pk=created["id"]).exists()
    assert JournalEntry.objects.filter(action="tenancy.role.revoke").count() == 1


@pytest.mark.parametrize(
    "body, status, key",
    [
        ({"role": "emperor", "members": ["antony"]}, 400, "role"),
        ({"role": "auditor", "members": ["sceaux"]}, 400, "members"),
        ({"role": "auditor", "members": ["nowhere"]}, 400, "members"),
        ({"role": "auditor"}, 400, "members"),
        ({"role": "auditor", "members": ["antony"], "all_members": True}, 400, "members"),
        ({"role": "technician", "members": ["antony"]}, 400, "role"),  # held already
        ({"role": "auditor", "all_members": True}, 403, "detail"),
        ({}, 400, "role"),
    ],
)
def test_bad_roles_are_refused_and_nothing_written(people, body, status, key):
    before = snapshot(people.person)
    response = token_client(people.admin_a).post(roles_url(people.person), body, format="json")
    assert response.status_code == status, response.content
    assert key in response.json()
    assert snapshot(people.person) == before


def test_removing_an_unknown_or_someone_elses_role_is_404(people):
    client = token_client(people.admin_a)
    other = make_user(role=Role.TOWN_VIEWER, members=[people.a])
    before = snapshot(people.person)
    assert client.delete(role_url(people.person, last_role(other))).status_code == 404
    assert client.delete(role_url(people.person, 999_999)).status_code == 404
    assert snapshot(people.person) == before
    assert RoleAssignment.objects.filter(user=other).exists()


def test_nobody_removes_their_own_last_administrator_role(people):
    client = token_client(people.admin_a)
    only = last_role(people.admin_a)
    response = client.delete(role_url(people.admin_a, only))
    assert response.status_code == 400
    assert "dernier rôle d’administrateur" in str(response.json())
    assert RoleAssignment.objects.filter(pk=only).exists()


def test_a_syndicate_wide_admin_manages_anyone(people):
    wide = token_client(make_user(role=Role.SYNDICATE_ADMIN, all_members=True))
    url = detail_url("user", people.shared.pk)
    assert wide.patch(url, {"organisation": "Prestataire"}, format="json").status_code == 200
    assert wide.delete(url).status_code == 204
    assert wide.post(reactivate_url(people.shared)).status_code == 200
    assert User.objects.get(pk=people.shared.pk).organisation == "Prestataire"

"""People pages in three cases: anonymous, with permission, administrator of another member."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from vigie.core.testing import make_user
from vigie.inventory.tests.ui_world import World
from vigie.tenancy import services
from vigie.tenancy.models import RoleAssignment, User
from vigie.tenancy.roles import Role

pytestmark = pytest.mark.django_db

PASSWORD = "Une-phrase-de-passe-longue-2025"


def snapshot(user: Any) -> dict[str, Any]:
    fresh = User.objects.get(pk=user.pk)
    return {
        **{f.attname: f.value_from_object(fresh) for f in fresh._meta.concrete_fields},
        "roles": sorted(RoleAssignment.objects.filter(user=user).values_list("pk", flat=True)),
    }


def page_urls(person: Any) -> list[tuple[str, str]]:
    """(method, URL) of every people page about ``person``."""
    assignment = RoleAssignment.objects.filter(user=person).first()
    assert assignment is not None
    return [
        ("get", reverse("user_detail", args=[person.pk])),
        ("get", reverse("user_edit", args=[person.pk])),
        ("post", reverse("user_edit", args=[person.pk])),
        ("get", reverse("user_deactivate", args=[person.pk])),
        ("post", reverse("user_deactivate", args=[person.pk])),
        ("post", reverse("user_reactivate", args=[person.pk])),
        ("get", reverse("user_role_add", args=[person.pk])),
        ("post", reverse("user_role_add", args=[person.pk])),
        ("post", reverse("user_role_remove", args=[person.pk, assignment.pk])),
    ]


def profile(**changes: str) -> dict[str, str]:
    data = {
        "first_name": "Camille",
        "last_name": "Durand",
        "email": "camille@antony.example",
        "phone": "01 40 00 00 00",
        "organisation": "Police municipale",
    }
    return {**data, **changes}


# --------------------------------------------------------------------------- anonymous


def test_anonymous_is_sent_to_login(client: Any, world: World) -> None:
    urls = [("get", reverse("user_list")), ("get", reverse("user_add"))]
    before = snapshot(world.viewer_a)
    for method, url in urls + page_urls(world.viewer_a):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))
    assert snapshot(world.viewer_a) == before


# --------------------------------------------------------------------------- list


def test_member_admin_lists_people_of_their_member(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    response = client.get(reverse("user_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "viewer-a" in html and "admin-a" in html
    assert "viewer-b" not in html and "admin-b" not in html and "Sceaux" not in html
    assert "Utilisateur communal — Antony" in html
    assert f'href="{reverse("user_list")}"' in html  # the menu entry
    assert "Personnes" in html
    assert reverse("user_add") in html


def test_list_filters(client: Any, world: World) -> None:
    services.deactivate_user(world.viewer_a)
    client.force_login(world.superadmin)

    def names(**query: str) -> set[str]:
        response = client.get(reverse("user_list"), query)
        assert response.status_code == 200
        return {row["object"].username for row in response.context["rows"]}

    assert names(member="sceaux") == {"admin-b", "viewer-b"}
    assert names(role="town_viewer") == {"viewer-a", "viewer-b"}
    assert names(is_active="false") == {"viewer-a"}
    assert "viewer-a" not in names(is_active="true")
    assert names(q="dsi") == {"dsi"}


def test_viewer_has_no_people_section(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    assert client.get(reverse("user_list")).status_code == 403
    assert client.get(reverse("user_add")).status_code == 403
    assert client.get(reverse("user_detail", args=[world.viewer_a.pk])).status_code == 404
    assert reverse("user_list") not in client.get(reverse("home")).content.decode()


# --------------------------------------------------------------------------- another member


def test_other_members_admin_gets_404_and_nothing_changes(client: Any, world: World) -> None:
    client.force_login(world.admin_b)
    before = snapshot(world.viewer_a)
    for method, url in page_urls(world.viewer_a):
        data = {"role": "auditor", "members": [world.b.pk]} if "roles" in url else profile()
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 404, url
    assert snapshot(world.viewer_a) == before


def test_person_reaching_another_member_is_read_only(client: Any, world: World) -> None:
    shared = make_user("shared", role=Role.TECHNICIAN, members=[world.a, world.b])
    client.force_login(world.admin_a)
    response = client.get(reverse("user_detail", args=[shared.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sceaux" not in html
    assert reverse("user_edit", args=[shared.pk]) not in html
    assert reverse("user_deactivate", args=[shared.pk]) not in html
    assert response.context["out_of_reach"]
    before = snapshot(shared)
    for method, url in page_urls(shared)[1:]:
        data = {"role": "auditor", "members": [world.a.pk]} if "roles" in url else profile()
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 403, url
    assert snapshot(shared) == before


# --------------------------------------------------------------------------- with permission


def test_detail_shows_roles_and_actions(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    response = client.get(reverse("user_detail", args=[world.viewer_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Antony" in html
    for name in ("user_edit", "user_deactivate", "user_role_add"):
        assert reverse(name, args=[world.viewer_a.pk]) in html
    own = client.get(reverse("user_detail", args=[world.admin_a.pk])).content.decode()
    assert reverse("user_deactivate", args=[world.admin_a.pk]) not in own


def test_add_a_person(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    form = client.get(reverse("user_add")).context["form"]
    assert list(form.fields["members"].queryset) == [world.a]
    assert "all_members" not in form.fields
    data = {
        "username": "pm.martin",
        **profile(),
        "password1": PASSWORD,
        "password2": PASSWORD,
        "role": "town_viewer",
        "members": [world.a.pk],
    }
    response = client.post(reverse("user_add"), data)
    assert response.status_code == 302, response.content.decode()
    person = User.objects.get(username="pm.martin")
    assert person.check_password(PASSWORD) and person.organisation == "Police municipale"
    assert response["Location"] == reverse("user_detail", args=[person.pk])
    assignment = person.role_assignments.get()
    assert (assignment.role, list(assignment.members.all())) == ("town_viewer", [world.a])


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"password2": "autre-chose-2025"}, "password2"),
        ({"password1": "1234", "password2": "1234"}, "password1"),
        ({"members": []}, "members"),
        ({"members": ["999999"]}, "members"),
        ({"role": "emperor"}, "role"),
        ({"username": "admin-b"}, "username"),
        ({"username": "<b>x</b>"}, "username"),
        ({"email": "pas-une-adresse"}, "email"),
    ],
)
def test_add_refuses_bad_input(client: Any, world: World, changes: Any, field: str) -> None:
    client.force_login(world.admin_a)
    data = {
        "username": "newcomer",
        **profile(),
        "password1": PASSWORD,
        "password2": PASSWORD,
        "role": "town_viewer",
        "members": [world.a.pk],
        **changes,
    }
    before = User.objects.count()
    response = client.post(reverse("user_add"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert User.objects.count() == before


def test_member_admin_cannot_add_into_another_member(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    data = {
        "username": "intruder",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "role": "town_viewer",
        "members": [world.b.pk],
        "all_members": "on",
    }
    response = client.post(reverse("user_add"), data)
    assert response.status_code == 400
    assert "members" in response.context["form"].errors
    assert not User.objects.filter(username="intruder").exists()


def test_syndicate_wide_admin_may_give_every_member(client: Any, world: World) -> None:
    client.force_login(world.superadmin)
    assert "all_members" in client.get(reverse("user_add")).context["form"].fields
    url = reverse("user_role_add", args=[world.viewer_a.pk])
    response = client.post(url, {"role": "csu_operator", "all_members": "on"})
    assert response.status_code == 302
    assert world.viewer_a.role_assignments.filter(role="csu_operator", all_members=True).exists()


def test_edit_profile(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    url = reverse("user_edit", args=[world.viewer_a.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, profile(last_name="Martin"))
    assert response.status_code == 302
    person = User.objects.get(pk=world.viewer_a.pk)
    assert (person.last_name, person.phone) == ("Martin", "01 40 00 00 00")
    before = snapshot(world.viewer_a)
    response = client.post(url, profile(email="pas-une-adresse"))
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    assert snapshot(world.viewer_a) == before


def test_deactivate_and_reactivate(client: Any, world: World) -> None:
    Token.objects.create(user=world.viewer_a)
    client.force_login(world.admin_a)
    url = reverse("user_deactivate", args=[world.viewer_a.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "jeton" in confirm.content.decode()
    response = client.post(url)
    assert response.status_code == 302
    assert not User.objects.get(pk=world.viewer_a.pk).is_active
    assert not Token.objects.filter(user=world.viewer_a).exists()
    detail = client.get(reverse("user_detail", args=[world.viewer_a.pk])).content.decode()
    assert reverse("user_reactivate", args=[world.viewer_a.pk]) in detail
    assert client.post(url).status_code == 400  # already deactivated
    response = client.post(reverse("user_reactivate", args=[world.viewer_a.pk]))
    assert response.status_code == 302
    assert User.objects.get(pk=world.viewer_a.pk).is_active
    assert client.get(reverse("user_reactivate", args=[world.viewer_a.pk])).status_code == 405


def test_nobody_deactivates_themselves(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    url = reverse("user_deactivate", args=[world.admin_a.pk])
    assert client.get(url).context["errors"]
    response = client.post(url)
    assert response.status_code == 400
    assert User.objects.get(pk=world.admin_a.pk).is_active


def test_add_and_remove_a_role(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    url = reverse("user_role_add", args=[world.viewer_a.pk])
    form = client.get(url).context["form"]
    assert list(form.fields["members"].queryset) == [world.a]
    response = client.post(url, {"role": "technician", "members": [world.a.pk]})
    assert response.status_code == 302
    added = world.viewer_a.role_assignments.get(role="technician")
    again = client.post(url, {"role": "technician", "members": [world.a.pk]})
    assert again.status_code == 400  # held already
    assert client.post(url, {"role": "auditor", "members": [world.b.pk]}).status_code == 400
    remove = reverse("user_role_remove", args=[world.viewer_a.pk, added.pk])
    assert client.post(remove).status_code == 302
    assert not RoleAssignment.objects.filter(pk=added.pk).exists()
    # Another person's assignment under this person's URL does not exist.
    other = world.admin_a.role_assignments.get()
    foreign = reverse("user_role_remove", args=[world.viewer_a.pk, other.pk])
    assert client.post(foreign).status_code == 404
    assert RoleAssignment.objects.filter(pk=other.pk).exists()


def test_own_last_administrator_role_stays(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    only = world.admin_a.role_assignments.get()
    response = client.post(
        reverse("user_role_remove", args=[world.admin_a.pk, only.pk]), follow=True
    )
    assert response.status_code == 200
    assert "dernier rôle d’administrateur" in response.content.decode()
    assert RoleAssignment.objects.filter(pk=only.pk).exists()

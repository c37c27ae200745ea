"""Member pages in three cases: anonymous, with permission, user of another member."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from vigie.inventory.tests.ui_world import World
from vigie.tenancy.models import Member

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client: Any, world: World) -> None:
    for url in (
        reverse("member_list"),
        reverse("member_add"),
        reverse("member_detail", args=[world.a.pk]),
        reverse("member_edit", args=[world.a.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_viewer_sees_own_member_only(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    html = client.get(reverse("member_list")).content.decode()
    assert "Antony" in html
    assert "Sceaux" not in html
    response = client.get(reverse("member_detail", args=[world.a.pk]))
    assert response.status_code == 200
    assert "92002" in response.content.decode()
    counts = {i["label"]: i["count"] for i in response.context["inventory"]}
    assert counts["Caméras"] == 1


def test_other_member_is_404(client: Any, world: World) -> None:
    client.force_login(world.viewer_b)
    assert client.get(reverse("member_detail", args=[world.a.pk])).status_code == 404
    assert client.get(reverse("member_edit", args=[world.a.pk])).status_code == 404
    response = client.post(reverse("member_edit", args=[world.a.pk]), {"name": "Pris"})
    assert response.status_code == 404
    world.a.refresh_from_db()
    assert world.a.name == "Antony"


def test_viewer_cannot_edit_or_add(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    assert client.get(reverse("member_edit", args=[world.a.pk])).status_code == 403
    assert client.get(reverse("member_add")).status_code == 403


def test_member_admin_edits_own_member(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    data = {
        "name": "Antony (92)",
        "slug": "antony",
        "kind": "town",
        "insee_code": "92002",
        "departement": "92",
        "population": "62000",
        "subscribes_recording": "on",
    }
    response = client.post(reverse("member_edit", args=[world.a.pk]), data)
    assert response.status_code == 302
    world.a.refresh_from_db()
    assert world.a.name == "Antony (92)"
    assert world.a.population == 62000
    data["insee_code"] = "<b>nope</b>"
    response = client.post(reverse("member_edit", args=[world.a.pk]), data)
    assert response.status_code == 400
    assert "insee_code" in response.context["form"].errors


def test_only_a_whole_syndicate_admin_adds_members(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    assert client.get(reverse("member_add")).status_code == 403
    assert "/members/add/" not in client.get(reverse("member_list")).content.decode()
    client.force_login(world.superadmin)
    data = {
        "syndicate": world.a.syndicate_id,
        "name": "Bourg-la-Reine",
        "slug": "bourg-la-reine",
        "kind": "town",
    }
    response = client.post(reverse("member_add"), data)
    assert response.status_code == 302
    assert Member.objects.unrestricted().filter(slug="bourg-la-reine").exists()

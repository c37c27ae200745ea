"""Every inventory page in three cases: anonymous, with permission, user of another member."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from vigie.inventory.tests.ui_world import World

pytestmark = pytest.mark.django_db

MODELS = ["site", "camera", "authorisation", "transportlink", "recordernode", "storagepool"]
# Town viewers see sites, cameras and authorisations; links, recorders and storage are
# the administrators' business, so the "other member" case uses an administrator there.
VIEWER_MODELS = {"site", "camera", "authorisation"}


def _viewer(world: World, member: str, model: str) -> Any:
    if model in VIEWER_MODELS:
        return world.viewer_a if member == "a" else world.viewer_b
    return world.admin_a if member == "a" else world.admin_b


def _pages(world: World) -> list[str]:
    a = world.objects_of("a")
    urls = ["home", "camera_map", "camera_import", "member_list"]
    out = [reverse(name) for name in urls]
    for model in MODELS:
        out += [
            reverse(f"{model}_list"),
            reverse(f"{model}_add"),
            reverse(f"{model}_detail", args=[a[model].pk]),
            reverse(f"{model}_edit", args=[a[model].pk]),
            reverse(f"{model}_delete", args=[a[model].pk]),
        ]
    out.append(reverse("member_detail", args=[world.a.pk]))
    return out


def test_anonymous_is_sent_to_login_from_every_page(client: Any, world: World) -> None:
    for url in _pages(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_anonymous_posts_write_nothing(client: Any, world: World) -> None:
    response = client.post(reverse("site_add"), {"member": world.a.pk, "name": "Intrus"})
    assert response.status_code == 302
    response = client.post(reverse("camera_enable", args=[world.cam_a.pk]), {"enabled": "1"})
    assert response.status_code == 302
    from vigie.inventory.models import Site

    assert not Site.objects.unrestricted().filter(name="Intrus").exists()


@pytest.mark.parametrize("model", MODELS)
def test_list_with_permission_shows_own_objects_only(client: Any, world: World, model: str) -> None:
    client.force_login(_viewer(world, "a", model))
    response = client.get(reverse(f"{model}_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert str(world.objects_of("a")[model]) in html
    assert str(world.objects_of("b")[model]) not in html


@pytest.mark.parametrize("model", MODELS)
def test_detail_with_permission(client: Any, world: World, model: str) -> None:
    client.force_login(_viewer(world, "a", model))
    obj = world.objects_of("a")[model]
    response = client.get(reverse(f"{model}_detail", args=[obj.pk]))
    assert response.status_code == 200
    assert str(obj) in response.content.decode()


@pytest.mark.parametrize("model", MODELS)
def test_other_member_gets_404_on_every_object_page(client: Any, world: World, model: str) -> None:
    client.force_login(_viewer(world, "b", model))
    obj = world.objects_of("a")[model]
    for verb in ("detail", "edit", "delete"):
        response = client.get(reverse(f"{model}_{verb}", args=[obj.pk]))
        assert response.status_code == 404, (model, verb)
    response = client.post(reverse(f"{model}_delete", args=[obj.pk]))
    assert response.status_code == 404
    assert type(obj).objects.unrestricted().filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", MODELS)
def test_other_member_list_does_not_show_ours(client: Any, world: World, model: str) -> None:
    client.force_login(_viewer(world, "b", model))
    response = client.get(reverse(f"{model}_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert str(world.objects_of("a")[model]) not in html
    assert str(world.objects_of("b")[model]) in html


@pytest.mark.parametrize("model", MODELS)
def test_other_member_filtering_by_our_member_finds_nothing(
    client: Any, world: World, model: str
) -> None:
    client.force_login(_viewer(world, "b", model))
    response = client.get(reverse(f"{model}_list"), {"member": world.a.slug})
    assert response.status_code == 200
    assert str(world.objects_of("a")[model]) not in response.content.decode()


def test_viewer_may_see_but_not_change(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    for model in VIEWER_MODELS:
        obj = world.objects_of("a")[model]
        detail = client.get(reverse(f"{model}_detail", args=[obj.pk])).content.decode()
        assert reverse(f"{model}_edit", args=[obj.pk]) not in detail
        assert client.get(reverse(f"{model}_edit", args=[obj.pk])).status_code == 403
        assert client.get(reverse(f"{model}_add")).status_code == 403
        assert client.post(reverse(f"{model}_delete", args=[obj.pk])).status_code == 403
    assert client.get(reverse("camera_import")).status_code == 403


def test_viewer_without_role_on_links_gets_403_on_their_list(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    for model in set(MODELS) - VIEWER_MODELS:
        assert client.get(reverse(f"{model}_list")).status_code == 403


def test_admin_sees_edit_and_delete_buttons(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    for model in MODELS:
        obj = world.objects_of("a")[model]
        html = client.get(reverse(f"{model}_detail", args=[obj.pk])).content.decode()
        assert reverse(f"{model}_edit", args=[obj.pk]) in html
        assert reverse(f"{model}_delete", args=[obj.pk]) in html
        assert client.get(reverse(f"{model}_edit", args=[obj.pk])).status_code == 200
        assert client.get(reverse(f"{model}_add")).status_code == 200


def test_pages_are_in_french_by_default(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    html = client.get(reverse("camera_list")).content.decode()
    assert '<html lang="fr">' in html
    assert "Caméras" in html
    assert "Aller au contenu principal" in html  # the skip link
    assert "Filtrer" in html
    html = client.get(reverse("authorisation_list")).content.decode()
    assert "Autorisations préfectorales" in html
    assert "Expire bientôt" in html

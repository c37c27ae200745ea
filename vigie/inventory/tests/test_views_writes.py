"""Writes through the web forms: saved through the services, refused cleanly otherwise."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from vigie.core.testing import make_authorisation, make_camera, make_user
from vigie.inventory.models import (
    Authorisation,
    Camera,
    RecorderNode,
    Site,
    StoragePool,
    TransportLink,
)
from vigie.inventory.tests.ui_world import World
from vigie.tenancy.models import ObjectPermission

pytestmark = pytest.mark.django_db


def camera_data(member: Any, **kw: Any) -> dict[str, Any]:
    data = {
        "member": member.pk,
        "name": "NEW-CAM",
        "camera_type": "fixed",
        "retention_days": "14",
        "status": "in_service",
    }
    data.update(kw)
    return data


# -- sites -------------------------------------------------------------------


def test_admin_adds_a_site_in_own_member(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    response = client.post(
        reverse("site_add"), {"member": world.a.pk, "name": "Gymnase", "latitude": "48,75"}
    )
    site = Site.objects.unrestricted().get(name="Gymnase")
    assert response.status_code == 302
    assert response["Location"] == reverse("site_detail", args=[site.pk])
    assert site.member == world.a


def test_admin_cannot_create_a_site_in_another_member(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    response = client.post(reverse("site_add"), {"member": world.b.pk, "name": "Intrus"})
    assert response.status_code == 400
    assert response.context["form"].errors["member"]
    assert not Site.objects.unrestricted().filter(name="Intrus").exists()


def test_admin_cannot_move_a_site_into_another_member(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    url = reverse("site_edit", args=[world.site_a.pk])
    response = client.post(url, {"member": world.b.pk, "name": "Moved"})
    assert response.status_code == 400
    world.site_a.refresh_from_db()
    assert world.site_a.member == world.a
    assert world.site_a.name != "Moved"


def test_the_member_choices_are_only_those_the_user_may_add_to(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    form = client.get(reverse("site_add")).context["form"]
    assert list(form.fields["member"].queryset) == [world.a]
    assert form.initial["member"] == world.a.pk  # one choice: preselected


def test_deleting_a_site_in_use_is_refused(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    response = client.post(reverse("site_delete", args=[world.site_a.pk]))
    assert response.status_code == 400
    assert "ANT-001 Parvis" in response.content.decode()
    assert Site.objects.unrestricted().filter(pk=world.site_a.pk).exists()


def test_deleting_an_unused_site(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    with_nothing = Site.objects.unrestricted().create(member=world.a, name="Vide")
    response = client.post(reverse("site_delete", args=[with_nothing.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("site_list")
    assert not Site.objects.unrestricted().filter(pk=with_nothing.pk).exists()


# -- cameras -----------------------------------------------------------------


def test_admin_adds_a_camera_with_any_mac_spelling(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    data = camera_data(
        world.a,
        site=world.site_a.pk,
        mac_address="00-0c-29-aa-bb-cc",
        ip_address="10.1.2.3",
        purposes=["crime_prevention", "public_buildings"],
        latitude="48,7512",
    )
    response = client.post(reverse("camera_add"), data)
    assert response.status_code == 302, response.context["form"].errors
    camera = Camera.objects.unrestricted().get(name="NEW-CAM")
    assert camera.mac_address == "00:0C:29:AA:BB:CC"
    assert camera.purposes == ["crime_prevention", "public_buildings"]
    assert camera.enabled is False
    assert str(camera.latitude) == "48.751200"


def test_a_site_of_another_member_is_not_a_valid_choice(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    response = client.post(reverse("camera_add"), camera_data(world.a, site=world.site_b.pk))
    assert response.status_code == 400
    assert "site" in response.context["form"].errors
    assert not Camera.objects.unrestricted().filter(name="NEW-CAM").exists()


def test_superadmin_cannot_attach_another_members_site(client: Any, world: World) -> None:
    client.force_login(world.superadmin)
    response = client.post(reverse("camera_add"), camera_data(world.a, site=world.site_b.pk))
    assert response.status_code == 400
    assert "site" in response.context["form"].errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("retention_days", "31"),
        ("retention_days", "0"),
        ("name", "x" * 10_000),
        ("name", "bad\x00name"),
        ("ip_address", "999.1.1.1"),
        ("mac_address", "01:00:5E:00:00:01"),
        ("mac_address", "not a mac"),
        ("rtsp_main", "http://example.invalid/stream"),
        ("latitude", "91"),
        ("purposes", ["facial_recognition"]),
        ("camera_type", "<script>"),
        ("member", "abc"),
        ("member", "999999"),
        ("site", "1; DROP TABLE inventory_camera"),
        ("notes", "x" * 100_000 + "\x00"),
    ],
)
def test_bad_camera_values_are_form_errors(
    client: Any, world: World, field: str, value: Any
) -> None:
    client.force_login(world.admin_a)
    data = camera_data(world.a)
    data[field] = value
    response = client.post(reverse("camera_add"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html  # the message is tied to its field
    assert Camera.objects.unrestricted().count() == 2


def test_hostile_text_is_stored_and_shown_escaped(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    name = "<script>alert(1)</script>"
    response = client.post(reverse("camera_add"), camera_data(world.a, name=name))
    assert response.status_code == 302
    camera = Camera.objects.unrestricted().get(name=name)
    html = client.get(reverse("camera_detail", args=[camera.pk])).content.decode()
    assert name not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_camera_cannot_be_moved_into_another_member(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    url = reverse("camera_edit", args=[world.cam_a.pk])
    response = client.post(url, camera_data(world.b, name="ANT-001 Parvis"))
    assert response.status_code == 400
    world.cam_a.refresh_from_db()
    assert world.cam_a.member == world.a


def test_a_refused_write_is_a_403_with_a_message_and_nothing_written(
    client: Any, world: World
) -> None:
    # May change only planned cameras: putting one in service takes it out of reach.
    user = make_user("planner")
    perm = ObjectPermission.objects.create(
        name="planned cameras", actions=["view", "change"], constraints={"status": "planned"}
    )
    perm.object_types.set([ContentType.objects.get_for_model(Camera)])
    perm.members.set([world.a])
    perm.users.set([user])
    planned = make_camera(world.a, name="PLANNED", status="planned")
    client.force_login(user)
    url = reverse("camera_edit", args=[planned.pk])
    response = client.post(url, camera_data(world.a, name="PLANNED", status="in_service"))
    assert response.status_code == 403, response.context["form"].errors
    assert response.context["form"].non_field_errors()
    planned.refresh_from_db()
    assert planned.status == "planned"


def test_enable_is_refused_without_stream_and_authorisation(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    camera = make_camera(world.a, name="BARE")
    response = client.post(
        reverse("camera_enable", args=[camera.pk]), {"enabled": "1"}, follow=True
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 2
    camera.refresh_from_db()
    assert camera.enabled is False


def test_enable_then_disable(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    camera = make_camera(world.a, name="READY", rtsp_main="rtsp://10.0.0.1/main")
    make_authorisation(world.a, [camera])
    url = reverse("camera_enable", args=[camera.pk])
    assert client.post(url, {"enabled": "1"}).status_code == 302
    camera.refresh_from_db()
    assert camera.enabled is True
    assert client.post(url, {"enabled": "0"}).status_code == 302
    camera.refresh_from_db()
    assert camera.enabled is False


def test_enable_is_post_only_and_needs_change(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    url = reverse("camera_enable", args=[world.cam_a.pk])
    assert client.get(url).status_code == 405
    assert client.post(url, {"enabled": "1"}).status_code == 403
    client.force_login(world.viewer_b)
    assert client.post(url, {"enabled": "1"}).status_code == 404


def test_member_change_refreshes_the_scoped_choices_with_htmx(client: Any, world: World) -> None:
    client.force_login(world.superadmin)
    response = client.get(
        reverse("camera_add"),
        {"member": world.b.pk},
        headers={"HX-Request": "true", "HX-Target": "member-scoped"},
    )
    html = response.content.decode()
    assert html.strip().startswith('<div id="member-scoped"')
    assert "Mairie de Sceaux" in html
    assert "Hôtel de ville" not in html


def test_without_javascript_the_query_preselects_the_member(client: Any, world: World) -> None:
    client.force_login(world.superadmin)
    form = client.get(reverse("camera_add"), {"member": world.a.pk, "name": "kept"}).context["form"]
    assert list(form.fields["site"].queryset) == [world.site_a]
    assert form["name"].value() == "kept"


# -- authorisations ----------------------------------------------------------


def auth_data(member: Any, **kw: Any) -> dict[str, Any]:
    today = date.today()
    data = {
        "member": member.pk,
        "number": "2025/NEW",
        "issued_on": (today - timedelta(days=10)).isoformat(),
        "expires_on": (today + timedelta(days=1000)).isoformat(),
    }
    data.update(kw)
    return data


def test_authorisation_camera_choices_are_the_members_own(client: Any, world: World) -> None:
    client.force_login(world.superadmin)
    form = client.get(reverse("authorisation_add")).context["form"]
    assert list(form.fields["cameras"].queryset) == []  # choose the member first
    form = client.get(reverse("authorisation_add"), {"member": world.a.pk}).context["form"]
    assert list(form.fields["cameras"].queryset) == [world.cam_a]


def test_authorisation_added_with_own_cameras(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    response = client.post(
        reverse("authorisation_add"), auth_data(world.a, cameras=[world.cam_a.pk])
    )
    assert response.status_code == 302
    auth = Authorisation.objects.unrestricted().get(number="2025/NEW")
    assert list(auth.cameras.all()) == [world.cam_a]


def test_authorisation_cannot_cover_another_members_camera(client: Any, world: World) -> None:
    client.force_login(world.superadmin)
    data = auth_data(world.a, cameras=[world.cam_a.pk, world.cam_b.pk])
    response = client.post(reverse("authorisation_add"), data)
    assert response.status_code == 400
    assert "cameras" in response.context["form"].errors
    assert not Authorisation.objects.unrestricted().filter(number="2025/NEW").exists()


def test_authorisation_longer_than_five_years_is_refused(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    today = date.today()
    data = auth_data(world.a, expires_on=(today + timedelta(days=6 * 365)).isoformat())
    response = client.post(reverse("authorisation_add"), data)
    assert response.status_code == 400
    assert "expires_on" in response.context["form"].errors


def test_authorisation_edit_keeps_cameras_in_the_member(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    url = reverse("authorisation_edit", args=[world.auth_a.pk])
    data = auth_data(world.a, number=world.auth_a.number, cameras=[world.cam_b.pk])
    response = client.post(url, data)
    assert response.status_code == 400
    assert list(world.auth_a.cameras.all()) == [world.cam_a]


def test_expiring_and_expired_authorisations_are_marked(client: Any, world: World) -> None:
    today = date.today()
    make_authorisation(
        world.a,
        number="OLD-2019",
        issued_on=today - timedelta(days=5 * 365),
        expires_on=today - timedelta(days=3),
    )
    client.force_login(world.viewer_a)
    response = client.get(reverse("authorisation_list"))
    rows = {r["object"].number: r["css"] for r in response.context["rows"]}
    assert rows == {"AUT-ANT-2021": "row-expiring", "OLD-2019": "row-expired"}
    html = response.content.decode()
    assert 'class="row-expiring"' in html
    assert response.context["expiring_count"] == 1
    only = client.get(reverse("authorisation_list"), {"state": "expiring"})
    assert [r["object"].number for r in only.context["rows"]] == ["AUT-ANT-2021"]
    expired = client.get(reverse("authorisation_list"), {"state": "expired"})
    assert [r["object"].number for r in expired.context["rows"]] == ["OLD-2019"]


# -- links, recorders, storage ----------------------------------------------


def test_link_site_must_be_of_the_same_member(client: Any, world: World) -> None:
    client.force_login(world.superadmin)
    data = {"member": world.a.pk, "name": "L2", "kind": "fibre", "site": world.site_b.pk}
    response = client.post(reverse("transportlink_add"), data)
    assert response.status_code == 400
    assert "site" in response.context["form"].errors
    data["site"] = world.site_a.pk
    assert client.post(reverse("transportlink_add"), data).status_code == 302
    assert TransportLink.objects.unrestricted().get(name="L2").site == world.site_a


def test_member_admin_must_give_an_owner_to_a_recorder(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    data = {"name": "rec-shared", "max_cameras": "100", "enabled": "on"}
    response = client.post(reverse("recordernode_add"), data)
    assert response.status_code == 400
    assert "member" in response.context["form"].errors
    client.force_login(world.superadmin)
    assert client.post(reverse("recordernode_add"), data).status_code == 302
    assert RecorderNode.objects.unrestricted().get(name="rec-shared").member is None


def test_storage_pool_node_of_another_member_is_refused(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    data = {
        "member": world.a.pk,
        "name": "pool-x",
        "node": world.node_b.pk,
        "path": "/srv/x",
        "min_free_percent": "10",
    }
    response = client.post(reverse("storagepool_add"), data)
    assert response.status_code == 400
    assert "node" in response.context["form"].errors
    data["node"] = world.node_a.pk
    data["path"] = "relative/path"
    response = client.post(reverse("storagepool_add"), data)
    assert response.status_code == 400
    assert "path" in response.context["form"].errors
    data["path"] = "/srv/x"
    assert client.post(reverse("storagepool_add"), data).status_code == 302
    assert StoragePool.objects.unrestricted().get(name="pool-x").node == world.node_a

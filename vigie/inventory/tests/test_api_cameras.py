"""Cameras and authorisations through the API: validation, moves, enabling, filters."""

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse

from vigie.core import actors
from vigie.core.api_testing import detail_url, list_url, listed_ids, token_client
from vigie.core.testing import make_authorisation, make_camera, make_member, make_site, make_user
from vigie.inventory.api import AuthorisationSerializer, CameraSerializer
from vigie.inventory.models import Authorisation, Camera

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    a = make_member("antony")
    return a, token_client(make_user(role="syndicate_admin", members=[a]))


def _create(client, member, **fields):
    body = {"member": member.slug, "name": "CAM-1", **fields}
    return client.post(list_url("camera"), body, format="json")


def test_create_camera_normalises_and_answers_plain_json(town):
    a, client = town
    response = _create(
        client,
        a,
        mac_address="00-0c-29-aa-bb-cc",
        ip_address="192.0.2.10",
        latitude=48.7543,
        longitude=2.2975,
        purposes=["crime_prevention", "crime_prevention", "terrorism"],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["member"] == "antony"
    assert body["mac_address"] == "00:0C:29:AA:BB:CC"
    assert body["latitude"] == pytest.approx(48.7543)
    assert body["purposes"] == ["crime_prevention", "terrorism"]
    assert body["enabled"] is False
    assert set(body) == set(CameraSerializer.Meta.fields)


def test_retention_31_is_refused_and_nothing_written(town):
    a, client = town
    response = _create(client, a, retention_days=31)
    assert response.status_code == 400
    assert "retention_days" in response.json()
    assert not Camera.objects.unrestricted().exists()
    cam = make_camera(a, retention_days=20)
    response = client.patch(detail_url("camera", cam.pk), {"retention_days": 31}, format="json")
    assert response.status_code == 400
    assert Camera.objects.unrestricted().get(pk=cam.pk).retention_days == 20


@pytest.mark.parametrize(
    "fields, key",
    [
        ({"name": "x" * 151}, "name"),
        ({"name": "nul\x00byte"}, "name"),
        ({"name": ""}, "name"),
        ({"mac_address": "not-a-mac"}, "mac_address"),
        ({"mac_address": "01:00:5E:00:00:01"}, "mac_address"),
        ({"ip_address": "999.1.1.1"}, "ip_address"),
        ({"rtsp_main": "http://example.org/"}, "rtsp_main"),
        ({"purposes": ["fun"]}, "purposes"),
        ({"purposes": "crime_prevention"}, "purposes"),
        ({"latitude": 91}, "latitude"),
        ({"camera_type": "<script>alert(1)</script>"}, "camera_type"),
        ({"retention_days": "trente"}, "retention_days"),
        ({"retention_days": 10**12}, "retention_days"),
        ({"site": 10**12}, "site"),
        ({"site": "abc"}, "site"),
        ({"model": "m" * 10_000}, "model"),
    ],
)
def test_bad_values_are_400_with_the_field(town, fields, key):
    a, client = town
    response = _create(client, a, **fields)
    assert response.status_code == 400, response.content
    assert key in response.json()
    assert not Camera.objects.unrestricted().exists()


def test_malformed_bodies_are_400(town):
    a, client = town
    url = list_url("camera")
    lone_surrogate = '{"member": "' + a.slug + '", "name": "x", "notes": "\\ud800"}'
    response = client.post(url, lone_surrogate, content_type="application/json")
    assert response.status_code == 400
    assert "notes" in response.json()
    assert client.post(url, "{not json", content_type="application/json").status_code == 400
    assert client.post(url, [1, 2], format="json").status_code == 400
    assert client.post(url, "null", content_type="application/json").status_code == 400
    assert not Camera.objects.unrestricted().exists()


def test_duplicate_mac_in_a_member_is_400(town):
    a, client = town
    make_camera(a, mac_address="00:0C:29:AA:BB:CC")
    response = _create(client, a, name="CAM-2", mac_address="00:0c:29:aa:bb:cc")
    assert response.status_code == 400
    assert Camera.objects.unrestricted().count() == 1


def test_another_members_site_looks_like_no_site(town):
    a, client = town
    b = make_member()
    site_b = make_site(b)
    foreign = _create(client, a, site=site_b.pk)
    missing = _create(client, a, site=site_b.pk + 1000)
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["site"] == [
        m.replace(str(site_b.pk + 1000), str(site_b.pk)) for m in missing.json()["site"]
    ]
    assert not Camera.objects.unrestricted().exists()


def test_creating_into_another_member_is_400(town):
    _a, client = town
    b = make_member("sceaux")
    response = _create(client, b)
    assert response.status_code == 400
    assert "member" in response.json()
    assert not Camera.objects.unrestricted().exists()


def test_moving_a_camera_into_another_member_is_refused_and_unchanged():
    a, b = make_member("antony"), make_member("sceaux")
    cam = make_camera(a)
    # May change A's cameras, and may see B (so B's slug is a valid choice).
    user = make_user(role="syndicate_admin", members=[a])
    from vigie.tenancy.models import RoleAssignment

    RoleAssignment.objects.create(user=user, role="town_viewer").members.set([b])
    client = token_client(user)
    response = client.patch(detail_url("camera", cam.pk), {"member": "sceaux"}, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["detail"]
    assert Camera.objects.unrestricted().get(pk=cam.pk).member_id == a.pk
    # Only-A admin: B is not even a valid choice.
    only_a = token_client(make_user(role="syndicate_admin", members=[a]))
    response = only_a.patch(detail_url("camera", cam.pk), {"member": "sceaux"}, format="json")
    assert response.status_code == 400
    assert "member" in response.json()
    assert Camera.objects.unrestricted().get(pk=cam.pk).member_id == a.pk


def test_enable_needs_stream_and_authorisation_then_disable(town):
    a, client = town
    cam = make_camera(a)
    enable = reverse("v1:camera-enable", kwargs={"pk": cam.pk})
    response = client.post(enable)
    assert response.status_code == 400
    assert {"rtsp_main", "enabled"} <= set(response.json())
    assert not Camera.objects.unrestricted().get(pk=cam.pk).enabled
    client.patch(
        detail_url("camera", cam.pk), {"rtsp_main": "rtsp://127.0.0.1:8554/c"}, format="json"
    )
    make_authorisation(a, [cam])
    response = client.post(enable)
    assert response.status_code == 200, response.content
    assert response.json()["enabled"] is True
    response = client.post(reverse("v1:camera-disable", kwargs={"pk": cam.pk}))
    assert response.json()["enabled"] is False
    assert not Camera.objects.unrestricted().get(pk=cam.pk).enabled


def test_enabled_is_not_writable_directly(town):
    a, client = town
    cam = make_camera(a)
    response = client.patch(detail_url("camera", cam.pk), {"enabled": True}, format="json")
    assert response.status_code == 200
    assert not Camera.objects.unrestricted().get(pk=cam.pk).enabled


def test_viewer_may_not_enable_and_other_member_gets_404():
    a, b = make_member(), make_member()
    cam = make_camera(a)
    viewer = token_client(make_user(role="town_viewer", members=[a]))
    assert viewer.post(reverse("v1:camera-enable", kwargs={"pk": cam.pk})).status_code == 403
    other = token_client(make_user(role="syndicate_admin", members=[b]))
    assert other.post(reverse("v1:camera-disable", kwargs={"pk": cam.pk})).status_code == 404


def test_authorisation_with_another_members_camera_is_400(town):
    a, client = town
    b = make_member()
    cam_b = make_camera(b)
    today = date.today()
    body = {
        "member": a.slug,
        "number": "2025/1",
        "issued_on": today.isoformat(),
        "expires_on": (today + timedelta(days=365)).isoformat(),
        "cameras": [make_camera(a).pk, cam_b.pk],
    }
    response = client.post(list_url("authorisation"), body, format="json")
    assert response.status_code == 400
    assert "cameras" in response.json()
    assert not Authorisation.objects.unrestricted().exists()
    auth = make_authorisation(a)
    url = detail_url("authorisation", auth.pk)
    response = client.patch(url, {"cameras": [cam_b.pk]}, format="json")
    assert response.status_code == 400
    assert not Authorisation.objects.unrestricted().get(pk=auth.pk).cameras.exists()


def test_authorisation_longer_than_5_years_is_400(town):
    a, client = town
    body = {"member": a.slug, "number": "X", "issued_on": "2024-01-01", "expires_on": "2030-01-02"}
    response = client.post(list_url("authorisation"), body, format="json")
    assert response.status_code == 400
    assert "expires_on" in response.json()


def test_authorisation_flags_and_expiring_filter():
    a = make_member()
    today = date.today()
    soon = make_authorisation(a, expires_on=today + timedelta(days=30))
    later = make_authorisation(a, expires_on=today + timedelta(days=900))
    expired = make_authorisation(
        a, issued_on=today - timedelta(days=800), expires_on=today - timedelta(days=1)
    )
    client = token_client(make_user(role="town_viewer", members=[a]))
    rows = {r["id"]: r for r in client.get(list_url("authorisation")).json()["results"]}
    assert (rows[soon.pk]["is_valid"], rows[soon.pk]["expires_soon"]) == (True, True)
    assert (rows[later.pk]["is_valid"], rows[later.pk]["expires_soon"]) == (True, False)
    assert (rows[expired.pk]["is_valid"], rows[expired.pk]["expires_soon"]) == (False, False)
    due = client.get(list_url("authorisation"), {"expiring": "true"})
    assert listed_ids(due) == {soon.pk}
    rest = client.get(list_url("authorisation"), {"expiring": "false"})
    assert listed_ids(rest) == {later.pk, expired.pk}


def test_serializers_work_without_a_request_for_the_cli():
    a = make_member("antony")
    cam = make_camera(a, latitude="48.754300")
    auth = make_authorisation(a, [cam])
    with actors.acting_as(actors.system("cli")):
        cams = CameraSerializer(Camera.objects.all(), many=True).data
        auths = AuthorisationSerializer(Authorisation.objects.all(), many=True).data
    assert cams[0]["member"] == "antony" and cams[0]["latitude"] == 48.7543
    assert json.loads(json.dumps(cams))[0]["name"] == cam.name
    assert auths[0]["cameras"] == [cam.pk] and auths[0]["id"] == auth.pk

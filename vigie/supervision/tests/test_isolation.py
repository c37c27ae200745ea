"""Isolation of the supervision's models, endpoints and pages: without permission, with,
and as a user of another town; and no image reaches a technician through here."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from vigie.core.api_testing import detail_url, list_url, listed_ids, token_client
from vigie.core.testing import IsolationCases, as_system, make_member, make_user
from vigie.supervision.models import CameraHealth, HealthChange, HealthState, SupervisionPolicy
from vigie.supervision.tests.support import make_health
from vigie.tenancy.roles import Role, role_grants

pytestmark = pytest.mark.django_db
IMAGE_ACTIONS = {"view_live", "view_playback", "export", "lift_mask"}


class TestCameraHealthIsolation(IsolationCases):
    model = CameraHealth

    def make(self, member):
        return make_health(member)


class TestHealthChangeIsolation(IsolationCases):
    model = HealthChange
    viewer_role = "technician"

    def make(self, member):
        return HealthChange.objects.unrestricted().get(camera=make_health(member).camera)


class TestPolicyIsolation(IsolationCases):
    model = SupervisionPolicy

    def make(self, member):
        with as_system():
            return SupervisionPolicy.objects.create(member=member, ticket_after_minutes=30)


# ---------------------------------------------------------------- API


def test_health_api_three_cases_and_filters():
    a, b = make_member(), make_member()
    down = make_health(a, HealthState.DOWN)
    ok = make_health(a, HealthState.OK)
    theirs = make_health(b, HealthState.DOWN)
    assert token_client(make_user()).get(list_url("camerahealth")).status_code == 403
    tech = token_client(make_user(role="technician", members=[a]))
    assert listed_ids(tech.get(list_url("camerahealth"))) == {down.pk, ok.pk}
    assert listed_ids(tech.get(list_url("camerahealth"), {"state": "down"})) == {down.pk}
    assert listed_ids(tech.get(list_url("camerahealth"), {"member": a.slug})) == {down.pk, ok.pk}
    body = tech.get(detail_url("camerahealth", down.pk)).json()
    assert body["state"] == "down" and body["history"][0]["state"] == "down"
    assert tech.get(detail_url("camerahealth", theirs.pk)).status_code == 404
    other = token_client(make_user(role="town_viewer", members=[b]))
    assert listed_ids(other.get(list_url("camerahealth"))) == {theirs.pk}
    assert other.patch(detail_url("camerahealth", theirs.pk), {"state": "ok"}).status_code in (
        403,
        405,
    )
    changes = other.get(list_url("healthchange")).json()["results"]
    assert {c["camera"] for c in changes} == {theirs.camera_id}


def test_policy_api_three_cases():
    a, b = make_member(), make_member()
    admin_a = token_client(make_user(role="syndicate_admin", members=[a]))
    created = admin_a.post(
        list_url("supervisionpolicy"), {"member": a.slug, "ticket_after_minutes": 30}, format="json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    viewer_b = token_client(make_user(role="town_viewer", members=[b]))
    assert viewer_b.get(detail_url("supervisionpolicy", pk)).status_code == 404
    admin_b = token_client(make_user(role="syndicate_admin", members=[b]))
    refused = admin_b.post(list_url("supervisionpolicy"), {"member": a.slug}, format="json")
    assert refused.status_code in (400, 403)
    assert token_client(make_user()).get(list_url("supervisionpolicy")).status_code == 403
    technician = token_client(make_user(role="technician", members=[a]))
    assert technician.get(detail_url("supervisionpolicy", pk)).status_code == 200
    changed = technician.patch(detail_url("supervisionpolicy", pk), {"notes": "x"}, format="json")
    assert changed.status_code in (403, 404)
    assert SupervisionPolicy.objects.unrestricted().get(pk=pk).notes == ""


def test_availability_api_is_scoped():
    a, b = make_member(), make_member()
    start = timezone.now() - timedelta(days=10)
    make_health(a, HealthState.OK, since=start)
    make_health(
        a,
        HealthState.DOWN,
        since=start,
        history=[(timedelta(0), "ok"), (timedelta(days=5), "down")],
    )
    make_health(b, HealthState.DOWN, since=start)
    viewer = token_client(make_user(role="town_viewer", members=[a]))
    body = viewer.get(reverse("v1:availability"), {"start": start.isoformat()}).json()
    assert [m["member"] for m in body["members"]] == [a.slug]
    assert body["total"]["rate"] == pytest.approx(0.75, abs=1e-4)
    detail = viewer.get(reverse("v1:availability"), {"start": start.isoformat(), "member": a.slug})
    assert len(detail.json()["cameras"]) == 2
    other = viewer.get(reverse("v1:availability"), {"member": b.slug})
    assert other.status_code == 404
    assert viewer.get(reverse("v1:availability"), {"start": "yesterday"}).status_code == 400
    anonymous = token_client(make_user()).get(reverse("v1:availability")).json()
    assert anonymous["members"] == [] and anonymous["total"]["rate"] is None


def test_storage_health_api():
    from vigie.inventory.models import RecorderNode, StoragePool

    with as_system():
        node = RecorderNode.objects.create(name="rec-1")
        StoragePool.objects.create(name="pool-1", node=node, path="/tmp")
    admin = token_client(make_user(role="syndicate_admin", all_members=True))
    body = admin.get(reverse("v1:storage-health")).json()
    assert body["pools"][0]["name"] == "pool-1" and body["pools"][0]["free_bytes"] > 0
    assert body["nodes"][0]["name"] == "rec-1"
    nobody = token_client(make_user()).get(reverse("v1:storage-health")).json()
    assert nobody == {"pools": [], "nodes": []}


# ---------------------------------------------------------------- no image


def test_technicians_never_get_an_image_here():
    from vigie.supervision import api_urls, urls

    grants = role_grants(Role.TECHNICIAN)
    assert not any(IMAGE_ACTIONS & set(actions) for actions in grants.values())
    routes = [str(p.pattern) for p in [*api_urls.urlpatterns, *urls.urlpatterns]]
    words = ("thumbnail", "snapshot", "live", "playback", "image", "frame", "stream", "export")
    assert not [r for r in routes if any(w in r for w in words)]
    member = make_member()
    health = make_health(member, rtsp_main="rtsp://admin:Pw-x9@10.0.0.1/s")
    tech = token_client(make_user(role="technician", members=[member]))
    text = tech.get(detail_url("camerahealth", health.pk)).content.decode()
    assert "rtsp://" not in text and "Pw-x9" not in text
    client = _web(make_user(role="technician", members=[member]))
    page = client.get(reverse("camerahealth_detail", args=[health.pk])).content.decode()
    assert "<video" not in page and "<img" not in page and "Pw-x9" not in page


# ---------------------------------------------------------------- pages


def _web(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_pages_three_cases():
    a, b = make_member(), make_member()
    ours = make_health(a, HealthState.DOWN, name="CAM-OURS")
    theirs = make_health(b, HealthState.DOWN, name="CAM-THEIRS")
    from django.test import Client

    assert Client().get(reverse("camerahealth_list")).status_code == 302
    assert _web(make_user()).get(reverse("camerahealth_list")).status_code == 403
    assert _web(make_user()).get(reverse("supervision_dashboard")).status_code == 403
    tech = _web(make_user(role="technician", members=[a]))
    listing = tech.get(reverse("camerahealth_list")).content.decode()
    assert "CAM-OURS" in listing and "CAM-THEIRS" not in listing
    assert tech.get(reverse("camerahealth_detail", args=[ours.pk])).status_code == 200
    assert tech.get(reverse("camerahealth_detail", args=[theirs.pk])).status_code == 404
    dashboard = tech.get(reverse("supervision_dashboard")).content.decode()
    assert "<svg" in dashboard and a.name in dashboard and b.name not in dashboard


def test_monthly_report_csv_pdf_and_scope():
    a, b = make_member(), make_member()
    now = timezone.localtime()
    make_health(a, HealthState.OK, name="CAM-CSV", since=now.replace(day=1, hour=0, minute=0))
    viewer = _web(make_user(role="town_viewer", members=[a]))
    args = [a.slug, now.year, now.month]
    csv = viewer.get(reverse("supervision_monthly_report", args=[*args, "csv"]))
    assert csv.status_code == 200 and "CAM-CSV;" in csv.content.decode()
    pdf = viewer.get(reverse("supervision_monthly_report", args=[*args, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = reverse("supervision_monthly_report", args=[b.slug, now.year, now.month, "csv"])
    assert viewer.get(other).status_code == 404

"""The requisition pages: filing, list, detail, steps, export progress, statistics,
and that another town's requisitions do not exist for a person (404)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.test import Client
from django.urls import reverse

from vigie.core import actors
from vigie.core.testing import as_system
from vigie.evidence import exports
from vigie.evidence.models import ExportJob, Requisition, YearlyStatistics
from vigie.evidence.tests.conftest import ReqWorld, file_one, move
from vigie.recording.models import LegalHold


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def filing(rw: ReqWorld, camera: Any) -> dict[str, Any]:
    return {
        "member": rw.a.pk,
        "service": "police_nationale",
        "officer_name": "Brigadier Martin",
        "officer_id": "123456",
        "procedure_number": "PV-WEB-1",
        "received_on": "2026-11-21",
        "facts": "Vol à l'arraché",
        "camera_1": camera.pk,
        "start_1": "2026-11-20T08:00",
        "end_1": "2026-11-20T10:00",
    }


def test_operator_files_on_behalf_of_an_officer(rw: ReqWorld) -> None:
    client = client_for(rw.operator_a)
    assert client.get(reverse("requisition_add")).status_code == 200
    response = client.post(reverse("requisition_add"), filing(rw, rw.cam_a))
    assert response.status_code == 302, response.content.decode()[:2000]
    req = Requisition.objects.unrestricted().get()
    assert response["Location"] == reverse("requisition_detail", kwargs={"pk": req.pk})
    assert LegalHold.objects.unrestricted().get().active
    page = client.get(response["Location"]).content.decode()
    assert "PV-WEB-1" in page and "ANT-GARE-01" in page


def test_filing_with_another_towns_camera_is_refused(rw: ReqWorld) -> None:
    response = client_for(rw.operator_a).post(reverse("requisition_add"), filing(rw, rw.cam_b))
    assert response.status_code == 400
    assert not Requisition.objects.unrestricted().exists()


def test_officer_files_their_own(rw: ReqWorld) -> None:
    response = client_for(rw.officer_a).post(reverse("requisition_add"), filing(rw, rw.cam_a))
    assert response.status_code == 302
    assert Requisition.objects.unrestricted().get().created_by == rw.officer_a


def test_list_flags_late_and_hides_other_towns(rw: ReqWorld) -> None:
    file_one(rw.a, [rw.cam_a], received_on=date(2020, 1, 1), procedure_number="LATE-1")
    file_one(rw.b, [rw.cam_b], procedure_number="OTHER-1")
    page = client_for(rw.viewer_a).get(reverse("requisition_list")).content.decode()
    assert "LATE-1" in page and "row-expired" in page and "OTHER-1" not in page
    late = client_for(rw.viewer_a).get(reverse("requisition_list"), {"late": "true"})
    assert b"LATE-1" in late.content
    assert client_for(rw.technician_a).get(reverse("requisition_list")).status_code == 403


def test_other_town_gets_404_everywhere(rw: ReqWorld) -> None:
    req = move(file_one(rw.a, [rw.cam_a]), "under_review", "positive")
    with actors.acting_as(rw.operator_a):
        job = exports.start_export(req, rw.operator_a, reason="PV")
    for user in (rw.viewer_b, rw.operator_b):
        client = client_for(user)
        for name in ("requisition_detail", "requisition_transition", "requisition_export"):
            assert client.get(reverse(name, kwargs={"pk": req.pk})).status_code == 404, name
        for name in ("exportjob_detail", "exportjob_download"):
            assert client.get(reverse(name, kwargs={"pk": job.pk})).status_code == 404, name
    assert (
        client_for(rw.viewer_a)
        .get(reverse("requisition_detail", kwargs={"pk": req.pk}))
        .status_code
        == 200
    )
    # A town viewer of the requisition's own town sees it but may not export it.
    assert (
        client_for(rw.viewer_a).get(reverse("exportjob_detail", kwargs={"pk": job.pk})).status_code
        == 404
    )


def test_steps_review_export_progress_and_cancel(rw: ReqWorld) -> None:
    req = file_one(rw.a, [rw.cam_a])
    client = client_for(rw.operator_a)
    url = reverse("requisition_transition", kwargs={"pk": req.pk})
    assert client.post(url, {"status": "closed", "reason": "x"}).status_code == 400
    for status in ("under_review", "positive"):
        assert client.post(url, {"status": status, "reason": "seen"}).status_code == 302
    review = reverse("requisition_review", kwargs={"pk": req.pk})
    assert client.post(review, {"date": "2026-11-22", "hours": "2.5"}).status_code == 302
    export = reverse("requisition_export", kwargs={"pk": req.pk})
    assert client.post(export, {"reason": ""}).status_code == 400
    response = client.post(export, {"reason": "Réquisition PV-2026-001"})
    assert response.status_code == 302
    job = ExportJob.objects.unrestricted().get()
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page and 'hx-trigger="every 1s"' in page
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="export-progress"')
    cancel = reverse("exportjob_cancel", kwargs={"pk": job.pk})
    assert client.post(cancel).status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled"
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment
    detail = client.get(reverse("requisition_detail", kwargs={"pk": req.pk})).content.decode()
    assert "2,50" in detail or "2.50" in detail


def test_admin_may_not_export_images(rw: ReqWorld) -> None:
    req = move(file_one(rw.a, [rw.cam_a]), "under_review", "positive")
    response = client_for(rw.admin_a).post(
        reverse("requisition_export", kwargs={"pk": req.pk}), {"reason": "look"}
    )
    assert response.status_code == 403
    assert not ExportJob.objects.unrestricted().exists()


def test_statistics_page_csv_and_manual_years(rw: ReqWorld) -> None:
    move(file_one(rw.a, [rw.cam_a], received_on=date(2025, 3, 1)), "under_review", "positive")
    with as_system():
        YearlyStatistics(member=None, year=2020, with_export=222, review_hours=1011).save()
    page = client_for(rw.auditor).get(reverse("evidence_statistics")).content.decode()
    assert "<svg" in page and "1011" in page
    csv_text = client_for(rw.auditor).get(reverse("evidence_statistics_csv")).content.decode()
    assert csv_text.splitlines()[0].startswith("year,member,offences")
    assert "2020," in csv_text and "2025," in csv_text
    response = client_for(rw.viewer_a).get(reverse("evidence_statistics"), {"year": "2025"})
    assert response.status_code == 200 and rw.b.name not in response.content.decode()
    assert client_for(rw.technician_a).get(reverse("evidence_statistics")).status_code == 403
    admin = client_for(rw.admin_a)
    response = admin.post(
        reverse("yearlystatistics_add"), {"member": rw.a.pk, "year": 2019, "with_export": 212}
    )
    assert response.status_code == 302
    assert YearlyStatistics.objects.unrestricted().filter(year=2019, member=rw.a).exists()


def test_dashboard_panel_counts_open_and_late(rw: ReqWorld) -> None:
    file_one(rw.a, [rw.cam_a], received_on=date(2020, 1, 1), procedure_number="LATE-9")
    file_one(rw.b, [rw.cam_b], received_on=date(2020, 1, 1), procedure_number="OTHER-9")
    page = client_for(rw.viewer_a).get(reverse("home")).content.decode()
    assert "panel-requisitions" in page and "LATE-9" in page and "OTHER-9" not in page
    page = client_for(rw.technician_a).get(reverse("home")).content.decode()
    assert "panel-requisitions" not in page

"""The evidence API: three isolation cases per endpoint, then its own rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from vigie.core.api_testing import ApiIsolationCases, token_client
from vigie.core.testing import as_system, make_camera
from vigie.evidence import services
from vigie.evidence.models import (
    Delivery,
    ExportJob,
    Requisition,
    RequisitionRange,
    ReviewTime,
    YearlyStatistics,
)
from vigie.evidence.tests.conftest import END, START, ReqWorld, file_one, move
from vigie.recording.models import LegalHold


def _req(member: Any, *statuses: str) -> Requisition:
    return move(file_one(member, [make_camera(member, retention_days=15)]), *statuses)


def _exported(member: Any) -> Requisition:
    req = _req(member, "under_review", "positive")
    with as_system():
        return services.transition(req, "exported", "made", manual=False)


class TestRequisitionApi(ApiIsolationCases):
    basename = "requisition"
    model = Requisition
    writer_role = "csu_operator"
    update_payload = {"facts": "Vol avec violence"}
    can_delete = False

    def make(self, member: Any) -> Any:
        return _req(member)

    def payload(self, member: Any) -> dict[str, Any]:
        camera = make_camera(member, retention_days=15)
        return {
            "member": member.slug,
            "service": "gendarmerie",
            "officer_name": "Adjudant Leroy",
            "officer_id": "G-77",
            "procedure_number": "PV-API-1",
            "received_on": "2026-11-21",
            "facts": "Rixe",
            "ranges": [{"camera": camera.pk, "start": START.isoformat(), "end": END.isoformat()}],
        }


class TestRequisitionRangeApi(ApiIsolationCases):
    basename = "requisitionrange"
    model = RequisitionRange
    writer_role = "csu_operator"
    update_payload = None
    can_delete = False

    def make(self, member: Any) -> Any:
        return _req(member).ranges.get()

    def payload(self, member: Any) -> dict[str, Any]:
        # The requisition made by make(): filing another would add a range.
        req = Requisition.objects.unrestricted().filter(member=member).latest("pk")
        camera = make_camera(member, retention_days=15)
        return {"requisition": req.pk, "camera": camera.pk, "start": START, "end": END}

    def move_payload(self, obj: Any, other: Any) -> None:
        return None

    def owner_id(self, obj: Any) -> Any:
        return obj.requisition.member_id


class TestReviewTimeApi(ApiIsolationCases):
    basename = "reviewtime"
    model = ReviewTime
    viewer_role = "auditor"

    def make(self, member: Any) -> Any:
        from vigie.core.testing import make_user

        with as_system():
            return services.log_review_time(_req(member), hours=2, operator=make_user())

    def payload(self, member: Any) -> dict[str, Any]:
        return {"requisition": _req(member).pk, "hours": "1.50", "date": "2026-11-22"}

    def move_payload(self, obj: Any, other: Any) -> dict[str, Any]:
        return {"requisition": _req(other).pk}

    def owner_id(self, obj: Any) -> Any:
        return obj.requisition.member_id


class TestExportJobApi(ApiIsolationCases):
    basename = "exportjob"
    model = ExportJob
    viewer_role = "auditor"
    writer_role = "csu_operator"
    update_payload = None
    can_delete = False

    def make(self, member: Any) -> Any:
        with as_system():
            job = ExportJob(requisition=_req(member, "under_review", "positive"))
            job.save()
        return job

    def payload(self, member: Any) -> dict[str, Any]:
        req = _req(member, "under_review", "positive")
        return {"requisition": req.pk, "reason": "Réquisition PV-1"}

    def move_payload(self, obj: Any, other: Any) -> None:
        return None

    def owner_id(self, obj: Any) -> Any:
        return obj.requisition.member_id


class TestDeliveryApi(ApiIsolationCases):
    basename = "delivery"
    model = Delivery
    writer_role = "csu_operator"
    update_payload = None
    can_delete = False

    def make(self, member: Any) -> Any:
        with as_system():
            return services.record_delivery(
                _exported(member), officer_name="Brigadier Martin", medium_reference="DVD-1"
            )

    def payload(self, member: Any) -> dict[str, Any]:
        return {
            "requisition": _exported(member).pk,
            "officer_name": "Brigadier Martin",
            "medium_reference": "DVD-0042",
        }

    def move_payload(self, obj: Any, other: Any) -> None:
        return None

    def owner_id(self, obj: Any) -> Any:
        return obj.requisition.member_id


class TestYearlyStatisticsApi(ApiIsolationCases):
    basename = "yearlystatistics"
    model = YearlyStatistics

    def make(self, member: Any) -> Any:
        with as_system():
            row = YearlyStatistics(member=member, year=2018, with_export=215)
            row.save()
        return row

    def payload(self, member: Any) -> dict[str, Any]:
        return {"member": member.slug, "year": 2019, "with_export": 212, "review_hours": "835"}


def test_transition_action(rw: ReqWorld) -> None:
    req = file_one(rw.a, [rw.cam_a])
    url = reverse("v1:requisition-transition", kwargs={"pk": req.pk})
    client = token_client(rw.operator_a)
    response = client.post(url, {"status": "closed", "reason": "x"}, format="json")
    assert response.status_code == 400
    assert "cannot become" in response.json()["status"][0]
    response = client.post(url, {"status": "under_review", "reason": "on it"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "under_review"
    assert (
        token_client(rw.viewer_a).post(url, {"status": "cancelled", "reason": "x"}).status_code
        == 403
    )
    assert (
        token_client(rw.operator_b).post(url, {"status": "cancelled", "reason": "x"}).status_code
        == 404
    )


def test_officer_files_with_camera_of_their_town_only(rw: ReqWorld) -> None:
    client = token_client(rw.officer_a)
    body = {
        "member": rw.a.slug,
        "service": "police_nationale",
        "officer_name": "Lieutenant Petit",
        "procedure_number": "PN-1",
        "facts": "Vol",
        "ranges": [{"camera": rw.cam_b.pk, "start": START, "end": END}],
    }
    response = client.post(reverse("v1:requisition-list"), body, format="json")
    assert response.status_code == 400, response.content
    assert not LegalHold.objects.unrestricted().exists()
    body["ranges"][0]["camera"] = rw.cam_a.pk
    response = client.post(reverse("v1:requisition-list"), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["holds"]
    # They see their requisitions, not the cameras.
    assert client.get(reverse("v1:camera-list")).status_code == 403


def test_unknown_camera_is_a_clear_error(rw: ReqWorld) -> None:
    body = {
        "member": rw.a.slug,
        "service": "police_nationale",
        "officer_name": "X",
        "procedure_number": "P",
        "facts": "F",
        "ranges": [{"camera": 999999, "start": START, "end": END}],
    }
    response = token_client(rw.operator_a).post(reverse("v1:requisition-list"), body, format="json")
    assert response.status_code == 400
    assert "camera" in str(response.json()["ranges"])


def test_export_needs_the_export_action(rw: ReqWorld) -> None:
    req = move(file_one(rw.a, [rw.cam_a]), "under_review", "positive")
    body = {"requisition": req.pk, "reason": "PV"}
    assert token_client(rw.admin_a).post(reverse("v1:exportjob-list"), body).status_code == 403
    assert token_client(rw.operator_b).post(reverse("v1:exportjob-list"), body).status_code == 400
    client = token_client(rw.operator_a)
    response = client.post(reverse("v1:exportjob-list"), {"requisition": req.pk}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = client.post(reverse("v1:exportjob-list"), body, format="json")
    assert response.status_code == 201, response.content
    job = response.json()["id"]
    progress = client.get(reverse("v1:exportjob-progress", kwargs={"pk": job})).json()
    assert progress == {
        "id": job,
        "status": "queued",
        "progress": 0.0,
        "message": "",
        "finished": False,
    }
    response = client.post(reverse("v1:exportjob-cancel", kwargs={"pk": job}), {"reason": "oops"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert (
        token_client(rw.operator_b)
        .get(reverse("v1:exportjob-progress", kwargs={"pk": job}))
        .status_code
        == 404
    )
    response = client.get(reverse("v1:exportjob-download", kwargs={"pk": job}))
    assert response.status_code == 404


def test_export_refused_before_a_positive_review(rw: ReqWorld) -> None:
    req = file_one(rw.a, [rw.cam_a])
    response = token_client(rw.operator_a).post(
        reverse("v1:exportjob-list"), {"requisition": req.pk, "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "positive" in str(response.json())


def test_statistics_endpoint(rw: ReqWorld) -> None:
    move(file_one(rw.a, [rw.cam_a], received_on=date(2025, 3, 1)), "under_review", "positive")
    move(file_one(rw.b, [rw.cam_b], received_on=date(2025, 4, 1)), "cancelled")
    url = reverse("v1:evidence-statistics")
    rows = token_client(rw.auditor).get(url, {"year": 2025}).json()["results"]
    by_member = {r["member"]: r for r in rows}
    assert by_member[None]["viewing_requests"] == 2
    assert by_member[rw.a.slug]["positive"] == 1
    assert by_member[rw.b.slug]["cancelled"] == 1
    rows = token_client(rw.viewer_a).get(url, {"year": 2025}).json()["results"]
    assert [r["member"] for r in rows] == [rw.a.slug]
    assert token_client(rw.viewer_a).get(url, {"member": rw.b.slug}).status_code == 400
    assert token_client(rw.technician_a).get(url).status_code == 403
    assert token_client(rw.viewer_a).get(url, {"year": "abc"}).status_code == 400

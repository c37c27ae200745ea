"""Export jobs end to end on real recorded segments: queue, worker, package, cancel,
partial results, refusals, and who may download."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from vigie.audit.models import JournalEntry
from vigie.core import actors
from vigie.core.api_testing import token_client
from vigie.core.testing import as_system
from vigie.evidence import exports, services
from vigie.evidence.models import ExportJob, JobStatus
from vigie.evidence.services import RangeSpec
from vigie.evidence.tests.conftest import ReqWorld, file_one, move
from vigie.evidence.tests.export_support import index_footage
from vigie.evidence.tests.package_support import T0, Footage
from vigie.evidence.verify import verify_package


@pytest.fixture
def exports_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path / "data" / "exports"


def positive(rw: ReqWorld, cameras: list[Any], start_s: float = 1, end_s: float = 15) -> Any:
    req = file_one(
        rw.a, cameras, start=T0 + timedelta(seconds=start_s), end=T0 + timedelta(seconds=end_s)
    )
    return move(req, "under_review", "positive")


def test_export_end_to_end(
    rw: ReqWorld, footage: Footage, tmp_path: Path, exports_dir: Path
) -> None:
    index_footage(rw.cam_a, footage, tmp_path / "pool")
    req = positive(rw, [rw.cam_a])
    with actors.acting_as(rw.operator_a):
        job = exports.start_export(req, rw.operator_a, reason="Réquisition PV-2026-001")
    assert job.status == JobStatus.QUEUED
    entry = JournalEntry.objects.filter(action="evidence.export").get()
    assert entry.actor_user_id == rw.operator_a.pk and entry.reason == "Réquisition PV-2026-001"
    assert entry.details["ranges"][0]["camera_name"] == "ANT-GARE-01"
    seen: list[float] = []
    done = exports.run_next(report=lambda f, _m: seen.append(f))
    assert done is not None and done.pk == job.pk
    assert done.status == JobStatus.DONE, done.error
    assert done.progress == 1.0 and seen and seen[-1] == 1.0
    assert not done.partial
    package = Path(done.package_path)
    assert package.parent == exports_dir / f"requisition-{req.pk}"
    assert done.zip_path == ""  # made from the directory when downloaded
    assert verify_package(package).ok
    delivered = exports.package_for_download(done, rw.operator_a)
    zip_file = tmp_path / delivered.filename
    zip_file.write_bytes(b"".join(delivered.chunks()))
    assert zip_file.stat().st_size == delivered.length
    assert verify_package(zip_file).ok
    manifest = json.loads((package / "manifest.json").read_text())
    assert manifest["requisition"]["procedure_number"] == "PV-2026-001"
    req.refresh_from_db()
    assert req.status == "exported"
    assert JournalEntry.objects.filter(action="evidence.export.done").count() == 1
    assert exports.run_next() is None  # nothing left queued
    # Delivery hashes the zip as downloaded and marks the requisition delivered.
    with actors.acting_as(rw.operator_a):
        delivery = services.record_delivery(
            req, officer_name="Brigadier Martin", medium_reference="DVD-7", export_job=done
        )
    assert delivery.package_sha256 == services.file_sha256(zip_file)


def test_download_only_for_those_who_may_export(
    rw: ReqWorld, footage: Footage, tmp_path: Path, exports_dir: Path
) -> None:
    index_footage(rw.cam_a, footage, tmp_path / "pool")
    req = positive(rw, [rw.cam_a])
    with as_system():
        exports.start_export(req, actors.current(), reason="PV")
    job = exports.run_next()
    assert job is not None and job.status == JobStatus.DONE
    url = reverse("v1:exportjob-download", kwargs={"pk": job.pk})
    response = token_client(rw.operator_a).get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body[:2] == b"PK" and len(body) == int(response["Content-Length"])
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert Path(job.package_path).name + ".zip" in response["Content-Disposition"]
    zip_file = tmp_path / "download.zip"
    zip_file.write_bytes(body)
    assert verify_package(zip_file).ok
    assert JournalEntry.objects.filter(action="evidence.download").count() == 1
    assert token_client(rw.operator_b).get(url).status_code == 404
    assert token_client(rw.viewer_b).get(url).status_code in (403, 404)
    assert token_client(rw.auditor).get(url).status_code == 403  # sees the job, not images
    detail = reverse("v1:requisition-detail", kwargs={"pk": req.pk})
    assert token_client(rw.viewer_b).get(detail).status_code == 404
    assert token_client(rw.operator_b).get(detail).status_code == 404


def test_cancel_while_running_leaves_no_package(
    rw: ReqWorld, footage: Footage, tmp_path: Path, exports_dir: Path
) -> None:
    index_footage(rw.cam_a, footage, tmp_path / "pool")
    req = positive(rw, [rw.cam_a])
    with as_system():
        exports.start_export(req, actors.current(), reason="PV")
        job = exports.claim_next()
        assert job is not None and job.status == JobStatus.RUNNING
        exports.cancel_export(job, "wrong range")
    job = exports.run_job(job)
    assert job.status == JobStatus.CANCELLED
    assert job.package_path == "" and job.zip_path == ""
    folder = exports_dir / f"requisition-{req.pk}"
    assert not folder.exists() or not any(folder.iterdir())
    req.refresh_from_db()
    assert req.status == "positive"


def test_cancel_a_queued_job_at_once(rw: ReqWorld) -> None:
    req = move(file_one(rw.a, [rw.cam_a]), "under_review", "positive")
    with actors.acting_as(rw.operator_a):
        job = exports.start_export(req, rw.operator_a, reason="PV")
        job = exports.cancel_export(job, "oops")
    assert job.status == JobStatus.CANCELLED
    assert exports.run_next() is None
    with as_system(), pytest.raises(Exception, match="over already"):
        exports.cancel_export(job)


def test_range_across_a_gap_is_a_stated_partial_package(
    rw: ReqWorld, footage: Footage, tmp_path: Path, exports_dir: Path
) -> None:
    index_footage(rw.cam_a, footage, tmp_path / "pool", skip=(2,))
    req = positive(rw, [rw.cam_a])
    with as_system():
        exports.start_export(req, actors.current(), reason="PV")
    job = exports.run_next()
    assert job is not None and job.status == JobStatus.DONE, job and job.error
    assert job.partial and job.notes
    manifest = json.loads((Path(job.package_path) / "manifest.json").read_text())
    assert "stalled" in json.dumps(manifest).lower() or "no data" in json.dumps(manifest).lower()


def test_a_camera_without_footage_is_named_not_hidden(
    rw: ReqWorld, footage: Footage, tmp_path: Path, exports_dir: Path
) -> None:
    index_footage(rw.cam_a, footage, tmp_path / "pool")
    req = positive(rw, [rw.cam_a, rw.cam_a2])
    with as_system():
        exports.start_export(req, actors.current(), reason="PV")
    job = exports.run_next()
    assert job is not None and job.status == JobStatus.DONE, job and job.error
    assert job.partial and "ANT-GARE-02" in job.notes
    manifest = json.loads((Path(job.package_path) / "manifest.json").read_text())
    assert "ANT-GARE-02" in manifest["requisition"]["ranges_without_footage"]
    assert verify_package(Path(job.package_path)).ok


def test_outside_the_recorded_period_fails_clearly(
    rw: ReqWorld, footage: Footage, tmp_path: Path, exports_dir: Path
) -> None:
    index_footage(rw.cam_a, footage, tmp_path / "pool")
    req = positive(rw, [rw.cam_a], start_s=3600, end_s=7200)
    with as_system():
        exports.start_export(req, actors.current(), reason="PV")
    job = exports.run_next()
    assert job is not None and job.status == JobStatus.FAILED
    assert "ANT-GARE-01: no footage" in job.error and "recorded:" in job.error
    assert not any(p.suffix == ".zip" for p in exports_dir.rglob("*"))
    req.refresh_from_db()
    assert req.status == "positive"


def test_export_refused_without_the_export_action(rw: ReqWorld) -> None:
    req = move(file_one(rw.a, [rw.cam_a]), "under_review", "positive")
    for who in (rw.admin_a, rw.viewer_a, rw.auditor):
        with actors.acting_as(who), pytest.raises(PermissionDenied):
            exports.start_export(req, who, reason="PV")
    with actors.acting_as(rw.operator_b), pytest.raises(PermissionDenied):
        exports.start_export(req, rw.operator_b, reason="PV")
    assert not ExportJob.objects.unrestricted().exists()


def test_progress_writes_are_throttled(rw: ReqWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    req = move(file_one(rw.a, [rw.cam_a]), "under_review", "positive")
    with as_system():
        job = exports.start_export(req, actors.current(), reason="PV")
    clock = [100.0]
    monkeypatch.setattr(exports.time, "monotonic", lambda: clock[0])
    progress = exports._Progress(job.pk)
    progress(0.1, "a")
    clock[0] += 0.1
    progress(0.2, "b")  # too soon: not written
    job.refresh_from_db()
    assert (job.progress, job.message) == (0.1, "a")
    clock[0] += 0.5
    progress(0.3, "c")
    job.refresh_from_db()
    assert (job.progress, job.message) == (0.3, "c")


def test_a_dead_worker_job_is_failed(rw: ReqWorld) -> None:
    req = move(file_one(rw.a, [rw.cam_a]), "under_review", "positive")
    with as_system():
        exports.start_export(req, actors.current(), reason="PV")
        job = exports.claim_next()
        assert job is not None and job.heartbeat is not None
        assert exports.fail_stale_jobs(job.heartbeat + timedelta(minutes=11)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "worker stopped" in job.error


def test_several_ranges_several_items(
    rw: ReqWorld, footage: Footage, tmp_path: Path, exports_dir: Path
) -> None:
    index_footage(rw.cam_a, footage, tmp_path / "pool")
    index_footage(rw.cam_a2, footage, tmp_path / "pool2")
    with as_system():
        req = services.file_requisition(
            member=rw.a,
            service="gendarmerie",
            officer_name="Adjudant Leroy",
            procedure_number="PV-3",
            facts="Rixe",
            ranges=[
                RangeSpec(rw.cam_a, T0 + timedelta(seconds=1), T0 + timedelta(seconds=6)),
                RangeSpec(rw.cam_a2, T0 + timedelta(seconds=9), T0 + timedelta(seconds=14)),
            ],
        )
    move(req, "direct")
    with as_system():
        exports.start_export(req, actors.current(), make_iso=True, reason="PV")
    job = exports.run_next()
    assert job is not None and job.status == JobStatus.DONE, job and job.error
    assert Path(job.iso_path).is_file()
    manifest = json.loads((Path(job.package_path) / "manifest.json").read_text())
    assert len(json.dumps(manifest)) > 0
    assert verify_package(Path(job.iso_path)).ok


def test_a_masked_camera_is_exported_masked(
    rw: ReqWorld, footage: Footage, tmp_path: Path, exports_dir: Path
) -> None:
    from vigie.recording.models import PrivacyMask

    index_footage(rw.cam_a, footage, tmp_path / "pool")
    with as_system():
        PrivacyMask.objects.create(
            camera=rw.cam_a,
            label="Fenêtres",
            polygons=[[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]],
        )
    req = positive(rw, [rw.cam_a], start_s=1, end_s=5)
    with as_system():
        exports.start_export(req, actors.current(), reason="PV")
    job = exports.run_next()
    assert job is not None and job.status == JobStatus.DONE, job and job.error
    manifest = json.dumps(json.loads((Path(job.package_path) / "manifest.json").read_text()))
    assert "masked re-encode" in manifest
    assert verify_package(Path(job.package_path)).ok

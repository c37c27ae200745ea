"""Evidence exports in the background: a person asks (``start_export``), the worker
(``vigie export-worker``, a process of its own, not a thread of the web server) claims
queued jobs one at a time and builds the package with ``vigie.evidence.package``.

Progress is written to the job at most every ``PROGRESS_EVERY`` seconds; cancelling sets
a flag that the package builder's ``cancelled()`` callback reads. The export is journaled
when asked (by the person, with their reason and the ranges) and when it ends (by the
worker). A package is made under ``DATA_DIR/exports/`` unless the CLI names a folder.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import vigie
from vigie.audit.services import journal
from vigie.core import actors
from vigie.core.models import IsolationError, require_actor
from vigie.evidence import services, workflow
from vigie.evidence.models import ExportJob, JobStatus, Requisition, RequisitionRange
from vigie.evidence.workflow import Status
from vigie.inventory.models import Camera

logger = logging.getLogger(__name__)

JOB_NAME = "job:export"
PROGRESS_EVERY = 0.5
# A running job whose worker gave no sign of life for this long is declared failed.
STALE_AFTER = timedelta(minutes=10)


def exports_root() -> Path:
    return Path(settings.DATA_DIR) / "exports"


def _ranges(requisition: Requisition) -> list[RequisitionRange]:
    return list(
        RequisitionRange.objects.unrestricted()
        .filter(requisition=requisition)
        .select_related("camera", "camera__site")
        .order_by("start", "camera__name")
    )


def check_may_export(requisition: Requisition, who: Any) -> list[RequisitionRange]:
    """The ranges, if ``who`` may export every camera of them; else PermissionDenied."""
    actor = actors.as_actor(who)
    if actor is None:
        raise PermissionDenied(_("Nobody is acting."))
    if not Requisition.objects.restrict(actor, "view").filter(pk=requisition.pk).exists():
        raise IsolationError(_("This requisition is outside your reach."))
    members = None if actor.system else actor.grants().member_ids("evidence.exportjob", "add")
    if members is not None and requisition.member_id not in members:
        raise PermissionDenied(_("You may not export for this member."))
    ranges = _ranges(requisition)
    if not ranges:
        raise ValidationError(_("This requisition names no camera."))
    ids = {r.camera_id for r in ranges}
    allowed = set(
        Camera.objects.restrict(actor, "export").filter(pk__in=ids).values_list("pk", flat=True)
    )
    refused = sorted(r.camera.name for r in ranges if r.camera_id not in allowed)
    if refused:
        raise PermissionDenied(
            _("You may not export the images of: %(cameras)s.") % {"cameras": ", ".join(refused)}
        )
    return ranges


def _range_details(ranges: list[RequisitionRange]) -> list[dict[str, Any]]:
    return [
        {"camera": r.camera_id, "camera_name": r.camera.name, "start": r.start, "end": r.end}
        for r in ranges
    ]


def start_export(
    requisition: Requisition, who: Any, make_iso: bool = False, *, reason: str = ""
) -> ExportJob:
    """Queue an export of the requisition's footage; journaled with the person's reason."""
    actor = require_actor()
    ranges = check_may_export(requisition, who)
    if requisition.status not in workflow.EXPORTABLE:
        raise ValidationError(
            _("Footage is exported once the review is positive (or direct); now: %(s)s.")
            % {"s": requisition.get_status_display()}
        )
    reason = (reason or "").strip() or _("Requisition %(n)s") % {"n": requisition.procedure_number}
    with transaction.atomic():
        job = ExportJob(
            requisition=requisition, make_iso=make_iso, reason=reason, requested_by=actor.user
        )
        job.save()
        journal(
            "evidence.export",
            objects=[requisition, job],
            member_id=requisition.member_id,
            reason=reason,
            details={"job": job.pk, "iso": make_iso, "ranges": _range_details(ranges)},
        )
    return job


def cancel_export(job: ExportJob, reason: str = "") -> ExportJob:
    """Ask the worker to stop; a queued job is cancelled at once."""
    require_actor()
    if job.finished:
        raise ValidationError(_("This export is over already."))
    with transaction.atomic():
        job = ExportJob.objects.unrestricted().select_for_update().get(pk=job.pk)
        job.cancel_requested = True
        if job.status == JobStatus.QUEUED:
            job.status = JobStatus.CANCELLED
            job.finished_at = timezone.now()
            job.message = _("Cancelled before it started.")
        job.save()
        journal(
            "evidence.export.cancel",
            objects=[job],
            member_id=job.requisition.member_id,
            reason=(reason or "").strip(),
            details={"job": job.pk, "status": job.status},
        )
    return job


def package_for_download(job: ExportJob, who: Any) -> services.DeliveredZip:
    """The zip of a finished export (its ``filename``, ``length`` and ``chunks()``),
    for a person who may export its images; journaled."""
    delivered = services.package_zip(job) if job.status == JobStatus.DONE else None
    if delivered is None:
        raise ValidationError(_("This export has no package to download."))
    check_may_export(job.requisition, who)
    journal(
        "evidence.download",
        objects=[job.requisition, job],
        member_id=job.requisition.member_id,
        reason=job.reason,
        details={
            "job": job.pk,
            "package": job.package_path,
            "zip": delivered.filename,
            "manifest_sha256": job.manifest_sha256,
        },
        actor=actors.as_actor(who),
    )
    return delivered


# --------------------------------------------------------------------------- the worker


def claim_next() -> ExportJob | None:
    """Take the oldest queued job for this worker (others skip it on PostgreSQL)."""
    with transaction.atomic():
        queued = ExportJob.objects.unrestricted().filter(status=JobStatus.QUEUED)
        if connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True)
        job = queued.order_by("created", "pk").first()
        if job is None:
            return None
        now = timezone.now()
        ExportJob.objects.unrestricted().filter(pk=job.pk).update(
            status=JobStatus.RUNNING, started_at=now, heartbeat=now, message=_("Started")
        )
    job.refresh_from_db()
    return job


def fail_stale_jobs(now: Any = None) -> int:
    """Running jobs whose worker died (no sign of life for a while) are failed, so that
    nobody waits for them; the half-built package the builder left is removed."""
    now = now or timezone.now()
    stale = ExportJob.objects.unrestricted().filter(
        status=JobStatus.RUNNING, heartbeat__lt=now - STALE_AFTER
    )
    count = 0
    for job in stale:
        _remove_partial(job.package_path)
        ExportJob.objects.unrestricted().filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED,
            finished_at=now,
            package_path="",
            error=_("The export worker stopped during this export."),
            message=_("Failed"),
        )
        count += 1
    return count


def _remove_partial(folder: str) -> None:
    """The builder works in ``.<name>.*.partial`` under its folder: only those go."""
    if folder and Path(folder).is_dir():
        for leftover in Path(folder).glob(".*.partial"):
            shutil.rmtree(leftover, ignore_errors=True)


@dataclass
class _Progress:
    """Throttled writes of progress and reads of the cancel flag."""

    job_id: int
    report: Callable[[float, str], None] | None = None
    # The process itself is stopping (SIGTERM, Ctrl-C): a flag of this process only.
    interrupted: Callable[[], bool] | None = None
    last_write: float = 0.0
    last_read: float = 0.0
    stop: bool = False

    def __call__(self, fraction: float, message: str) -> None:
        fraction = max(0.0, min(1.0, float(fraction)))
        if self.report is not None:
            self.report(fraction, message)
        now = time.monotonic()
        if now - self.last_write < PROGRESS_EVERY and fraction < 1.0:
            return
        self.last_write = now
        ExportJob.objects.unrestricted().filter(pk=self.job_id).update(
            progress=fraction, message=str(message)[:300], heartbeat=timezone.now()
        )

    def cancelled(self) -> bool:
        if self.interrupted is not None and self.interrupted():
            return True
        now = time.monotonic()
        if not self.stop and now - self.last_read >= PROGRESS_EVERY:
            self.last_read = now
            self.stop = (
                ExportJob.objects.unrestricted()
                .filter(pk=self.job_id, cancel_requested=True)
                .exists()
            )
        return self.stop


def claim(job: ExportJob) -> ExportJob | None:
    """Take this queued job (the CLI runs the one it asked for); None if taken already."""
    now = timezone.now()
    with actors.acting_as(actors.system(JOB_NAME)):
        taken = (
            ExportJob.objects.unrestricted()
            .filter(pk=job.pk, status=JobStatus.QUEUED)
            .update(status=JobStatus.RUNNING, started_at=now, heartbeat=now, message=_("Started"))
        )
    if not taken:
        return None
    job.refresh_from_db()
    return job


def run_job(
    job: ExportJob,
    out_dir: Path | None = None,
    report: Callable[[float, str], None] | None = None,
    interrupted: Callable[[], bool] | None = None,
    *,
    requeue: bool = True,
    make_zip: bool = False,
) -> ExportJob:
    """Build the package of a claimed job (status running) and record the outcome;
    ``make_zip`` also writes its zip beside it (else the zip is made when downloaded).

    ``interrupted`` says the process is stopping: with ``requeue`` (the worker) the job
    goes back to the queue, since nobody asked to cancel it; without (Ctrl-C in the
    CLI) it is cancelled."""
    with actors.acting_as(actors.system(JOB_NAME)):
        target = Path(out_dir) if out_dir else exports_root() / f"requisition-{job.requisition_id}"
        # The folder the package is built in, until the package itself is there.
        ExportJob.objects.unrestricted().filter(pk=job.pk).update(package_path=str(target))
        progress = _Progress(job.pk, report, interrupted)
        try:
            result = _build(job, target, progress, make_zip)
        except Exception as exc:
            stopping = interrupted is not None and interrupted()
            if requeue and stopping and not _cancel_asked(job):
                return _requeue(job, target)
            return _finish_failed(job, target, exc)
        return _finish_done(job, result)


def _build(job: ExportJob, target: Path, progress: _Progress, make_zip: bool) -> Any:
    from vigie.evidence import package, sources

    requisition = (
        Requisition.objects.unrestricted().select_related("member").get(pk=job.requisition_id)
    )
    items, missing = [], []
    for r in _ranges(requisition):
        try:
            items.append(
                sources.export_item_for(
                    r.camera, r.start, r.end, masks=services.masks_for(r.camera)
                )
            )
        except package.PackageError as exc:
            missing.append(f"{r.camera.name} {r.start.isoformat()}/{r.end.isoformat()}: {exc}")
    if not items:
        raise package.PackageError("; ".join(missing) or "no footage")
    info = _requisition_info(requisition, missing)
    request = package.PackageRequest(
        items=tuple(items),
        requisition=info,
        member={"slug": requisition.member.slug, "name": requisition.member.name},
        operator=job.requested_by.get_username() if job.requested_by else JOB_NAME,
        software_version=f"Vigie {vigie.__version__}",
    )
    result = package.build_package(
        request,
        target,
        progress=progress,
        cancelled=progress.cancelled,
        make_iso=job.make_iso,
        make_zip=make_zip,
    )
    return result, missing


def _cancel_asked(job: ExportJob) -> bool:
    return ExportJob.objects.unrestricted().filter(pk=job.pk, cancel_requested=True).exists()


def _requeue(job: ExportJob, target: Path) -> ExportJob:
    _remove_partial(str(target))
    ExportJob.objects.unrestricted().filter(pk=job.pk).update(
        status=JobStatus.QUEUED,
        progress=0.0,
        started_at=None,
        heartbeat=None,
        package_path="",
        message=_("Back in the queue: the export worker stopped"),
    )
    job.refresh_from_db()
    return job


def _requisition_info(requisition: Requisition, missing: list[str]) -> dict[str, str]:
    info = {
        "reference": requisition.procedure_number,
        "id": str(requisition.pk),
        "procedure_number": requisition.procedure_number,
        "service": str(requisition.get_service_display()),
        "officer_name": requisition.officer_name,
        "officer_id": requisition.officer_id,
        "received": requisition.received_on.isoformat(),
        "facts": requisition.facts,
    }
    if missing:
        # Said in the manifest too: the package is partial, never silently.
        info["ranges_without_footage"] = "; ".join(missing)
    return info


def _finish_failed(job: ExportJob, target: Path, exc: Exception) -> ExportJob:
    from vigie.evidence import package

    cancelled = isinstance(exc, package.ExportCancelled)
    # The builder removes its partial package itself; a crash may leave its work folder.
    _remove_partial(str(target))
    if not cancelled and not isinstance(exc, package.PackageError | ValidationError | OSError):
        logger.exception("export job %s failed", job.pk)
    status = JobStatus.CANCELLED if cancelled else JobStatus.FAILED
    ExportJob.objects.unrestricted().filter(pk=job.pk).update(
        status=status,
        finished_at=timezone.now(),
        package_path="",
        error="" if cancelled else str(exc)[:2000],
        message=_("Cancelled") if cancelled else _("Failed"),
    )
    job.refresh_from_db()
    journal(
        "evidence.export.cancelled" if cancelled else "evidence.export.failed",
        objects=[job],
        member_id=job.requisition.member_id,
        details={"job": job.pk, "error": job.error},
    )
    return job


def _finish_done(job: ExportJob, built: Any) -> ExportJob:
    result, missing = built
    notes = [str(n) for n in (result.notes or ())] + missing
    ExportJob.objects.unrestricted().filter(pk=job.pk).update(
        status=JobStatus.DONE,
        progress=1.0,
        finished_at=timezone.now(),
        package_path=str(result.directory),
        zip_path=str(result.zip_path or ""),
        iso_path=str(result.iso_path or ""),
        manifest_sha256=result.manifest_sha256,
        partial=bool(result.partial or missing),
        notes="\n".join(notes),
        message=_("Partial package: see the notes") if (result.partial or missing) else _("Done"),
    )
    job.refresh_from_db()
    requisition = job.requisition
    journal(
        "evidence.export.done",
        objects=[requisition, job],
        member_id=requisition.member_id,
        details={
            "job": job.pk,
            "manifest_sha256": job.manifest_sha256,
            "zip": job.zip_path,
            "partial": job.partial,
        },
    )
    if workflow.allowed(requisition.status, Status.EXPORTED):
        services.transition(
            requisition,
            Status.EXPORTED,
            _("Export %(job)s made") % {"job": job.pk},
            manual=False,
        )
    return job


def run_next(
    report: Callable[[float, str], None] | None = None,
    interrupted: Callable[[], bool] | None = None,
) -> ExportJob | None:
    """Claim and run one queued job, if any (the worker's loop body)."""
    with actors.acting_as(actors.system(JOB_NAME)):
        fail_stale_jobs()
        job = claim_next()
    if job is None:
        return None
    return run_job(job, report=report, interrupted=interrupted)

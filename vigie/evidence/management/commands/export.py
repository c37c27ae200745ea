"""``vigie export --requisition ID --out DIR [--zip] [--iso] [--reason TEXT]``: make the
evidence package of a requisition now, with a progress bar on stderr; ``vigie export
--cancel JOB`` asks a running export (the worker's or another terminal's) to stop.

The package is a directory; ``--zip`` also writes it as ``DIR/<package>.zip`` (the
same bytes the web download gives), ``--iso`` as an ISO 9660 image.

Ctrl-C cancels the export: nothing of the package is left behind. Exit status 0 only
when the package was made (a partial one says so on stderr).
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from django.core.management.base import CommandError, CommandParser

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.evidence import exports
from vigie.evidence.models import ExportJob, JobStatus, Requisition

BAR = 30


class Command(VigieCommand):
    help = "Make the evidence package of a requisition now (or cancel an export)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requisition", type=int, metavar="ID")
        parser.add_argument("--out", type=Path, metavar="DIR", help="folder for the package")
        parser.add_argument("--zip", action="store_true", help="also the zip, beside it")
        parser.add_argument("--iso", action="store_true", help="also an ISO 9660 image")
        parser.add_argument("--reason", default="", help="why (journaled; default: the procedure)")
        parser.add_argument("--cancel", type=int, metavar="JOB", help="stop this export job")
        parser.add_argument("--json", action="store_true", help="print the job as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cancel"] is not None:
            self.cancel(options)
            return
        if options["requisition"] is None or options["out"] is None:
            raise CommandError("give --requisition ID and --out DIR (or --cancel JOB)")
        who = actors.current()
        requisition = (
            Requisition.objects.restrict(who, "view").filter(pk=options["requisition"]).first()
        )
        if requisition is None:
            raise CommandError(f"unknown requisition {options['requisition']}")
        job = exports.start_export(
            requisition, who, make_iso=options["iso"], reason=options["reason"]
        )
        claimed = exports.claim(job)
        if claimed is None:
            raise CommandError(f"export job {job.pk} was taken by the worker")
        stop = threading.Event()

        def _interrupt(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGINT, _interrupt)
        try:
            done = exports.run_job(
                claimed,
                options["out"],
                self.bar,
                interrupted=stop.is_set,
                requeue=False,
                make_zip=options["zip"],
            )
        finally:
            signal.signal(signal.SIGINT, previous)
        self.finish(done, options)

    def bar(self, fraction: float, message: str) -> None:
        filled = int(BAR * fraction)
        line = f"\r[{'#' * filled}{' ' * (BAR - filled)}] {fraction * 100:5.1f}% {message[:50]:<50}"
        self.stderr.write(line, ending="")
        self.stderr.flush()

    def finish(self, job: ExportJob, options: dict[str, Any]) -> None:
        self.stderr.write("")
        if options["json"]:
            self.emit_json(job_data(job))
        if job.status != JobStatus.DONE:
            raise CommandError(f"export {job.pk} {job.status}: {job.error or job.message}")
        if job.partial:
            self.stderr.write(f"partial package:\n{job.notes}")
        if not options["json"]:
            self.stdout.write(f"package: {job.package_path}")
            if job.zip_path:
                self.stdout.write(f"zip: {job.zip_path}")
            if job.iso_path:
                self.stdout.write(f"iso: {job.iso_path}")
            self.stdout.write(f"manifest sha256: {job.manifest_sha256}")

    def cancel(self, options: dict[str, Any]) -> None:
        job = (
            ExportJob.objects.restrict(actors.current(), "change")
            .filter(pk=options["cancel"])
            .first()
        )
        if job is None:
            raise CommandError(f"unknown export job {options['cancel']}")
        job = exports.cancel_export(job, options["reason"])
        if options["json"]:
            self.emit_json(job_data(job))
        else:
            self.stdout.write(f"export {job.pk}: cancel asked ({job.status})")


def job_data(job: ExportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "requisition": job.requisition_id,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "package": job.package_path,
        "zip": job.zip_path,
        "iso": job.iso_path,
        "manifest_sha256": job.manifest_sha256,
        "partial": job.partial,
        "notes": job.notes,
        "error": job.error,
    }

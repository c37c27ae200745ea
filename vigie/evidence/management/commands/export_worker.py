"""``vigie export-worker [--once] [--interval S]``: make the queued evidence packages.

A process of its own (never a thread of the web server, which gunicorn restarts at
will): it claims queued export jobs one at a time (``SELECT … FOR UPDATE SKIP LOCKED``
on PostgreSQL, so several workers share the queue), writes their progress, and stops
on SIGTERM or SIGINT; a job it was making then goes back to the queue. A job left
running by a worker that died is failed after a while, with its reason.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from django.core.management.base import CommandError, CommandParser

from vigie.core import actors, pdf
from vigie.core.management.base import VigieCommand
from vigie.core.management.loops import fresh_connection, stop_on_signals
from vigie.evidence import exports
from vigie.recording.management.commands.retention import _positive

logger = logging.getLogger("vigie.evidence.exports")


class Command(VigieCommand):
    help = "Make the queued evidence packages, one at a time, until SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="make what is queued, then stop")
        parser.add_argument(
            "--interval", type=_positive, default=2.0, metavar="S", help="queue polled every S s"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actors.current()
        if actor is not None and not actor.system:
            raise CommandError("the export worker is a system job: run it without --as")
        made = 0
        pdf.warm()  # every package has a PDF report: its renderer is loaded once, here
        # What is loaded now lives as long as the process: the collector need not walk
        # it again and again while an export makes its many small objects (~0.1 s of
        # CPU per camera-hour).
        gc.freeze()
        with stop_on_signals("export worker") as stop:
            while not stop.is_set():
                fresh_connection()
                try:
                    job = exports.run_next(interrupted=stop.is_set)
                except Exception:
                    logger.exception("export worker: a job could not be run")
                    job = None
                if job is not None:
                    made += 1
                    self.stdout.write(f"export {job.pk}: {job.status} {job.error or job.message}")
                    continue
                if options["once"]:
                    break
                stop.wait(options["interval"])
        self.stdout.write(f"export worker: stopped after {made} job(s)")

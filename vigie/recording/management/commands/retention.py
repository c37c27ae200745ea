"""``vigie retention run [--dry-run] [--json]`` and ``vigie retention loop --interval S``.

One pass destroys, camera by camera, the footage older than the camera's retention
(except what a legal hold keeps), sweeps orphan files, then relieves every enabled
storage pool below its minimum free space, raising or clearing its storage alarm. The
loop repeats passes until SIGTERM or SIGINT; a failing pass is logged and the loop
carries on. Both act as the system job ``job:retention``, never as a person.
"""

from __future__ import annotations

import argparse
import logging
from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.core.management.loops import fresh_connection, stop_on_signals
from vigie.recording import services

logger = logging.getLogger("vigie.recording.retention")


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not value > 0:
        raise argparse.ArgumentTypeError("the interval must be above 0 seconds")
    return value


class Command(VigieCommand):
    help = "Destroy footage past its retention and relieve full storage pools."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{run,loop}")
        run = actions.add_parser("run", help="one pass: retention, orphans, disk pressure")
        run.add_argument("--dry-run", action="store_true", help="say what would go, delete nothing")
        run.add_argument("--json", action="store_true", help="the report as JSON")
        loop = actions.add_parser("loop", help="a pass every S seconds until SIGTERM")
        loop.add_argument(
            "--interval", type=_positive, default=60.0, metavar="S", help="seconds (default 60)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actors.current()
        if actor is not None and not actor.system:
            raise CommandError("retention is a system job: run it without --as")
        if options["action"] == "run":
            self.run_once(options)
        else:
            self.loop(options["interval"])

    def run_once(self, options: dict[str, Any]) -> None:
        report = services.run_cleanup_pass(dry_run=options["dry_run"])
        if options["json"]:
            self.emit_json(report.as_dict())
            return
        retention = report.retention
        verb = "would destroy" if retention.dry_run else "destroyed"
        self.stdout.write(
            f"retention: {verb} {retention.segments} segment(s), {_size(retention.bytes)};"
            f" kept under legal hold: {retention.held}; orphan files: {retention.orphans}"
        )
        rows = [c for c in retention.cameras if c.segments or c.held or c.error]
        if rows:
            self.emit_table(rows, _camera_columns())
        for error in retention.errors:
            self.stderr.write(f"error: {error}")
        for pool in report.pressure:
            self.stdout.write(_pool_line(pool))
            rows = [c for c in pool.cameras if c.segments or c.error]
            if rows:
                self.emit_table(rows, _camera_columns())

    def loop(self, interval: float) -> None:
        self.stdout.write(f"retention loop: a pass every {interval:g} s until SIGTERM")
        passes = 0
        with stop_on_signals("retention loop") as stop:
            while not stop.is_set():
                fresh_connection()
                try:
                    report = services.run_cleanup_pass()
                except Exception:
                    # Never let one bad pass (database away, disk full…) end the loop.
                    logger.exception("retention pass failed; next one in %g s", interval)
                else:
                    passes += 1
                    for pool in report.pressure:
                        if pool.alarm == "raised":
                            self.stderr.write(_pool_line(pool))
                stop.wait(interval)
        self.stdout.write(f"retention loop: stopped after {passes} pass(es)")


def _when(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _camera_columns() -> list[tuple[str, Any]]:
    return [
        ("CAMERA", lambda c: f"{c.camera} {c.camera_name}"),
        ("MEMBER", lambda c: c.member),
        ("CAUSE", lambda c: c.cause),
        ("SEGMENTS", lambda c: c.segments),
        ("SIZE", lambda c: _size(c.bytes)),
        ("FROM", lambda c: _when(c.period_start)),
        ("UNTIL", lambda c: _when(c.period_end)),
        ("HELD", lambda c: c.held),
        ("ERROR", lambda c: c.error or None),
    ]


def _pool_line(pool: services.PressureReport) -> str:
    if pool.error:
        state = f"error: {pool.error}"
    elif pool.needed_bytes:
        verb = "would free" if pool.dry_run else "freed"
        state = (
            f"below {pool.min_free_percent}% free: {verb} {_size(pool.bytes)}"
            f" ({pool.segments} segment(s)); still missing {_size(pool.shortfall_bytes)}"
        )
    else:
        state = "enough free space"
    alarm = f"; ALARM {pool.alarm}" if pool.alarm and pool.alarm != "cleared" else ""
    cleared = "; alarm cleared" if pool.alarm == "cleared" else ""
    writable = "" if pool.writable else "; recording stopped"
    return (
        f"pool {pool.pool}: {_size(pool.free_bytes)} free of {_size(pool.total_bytes)};"
        f" {state}{alarm}{cleared}{writable}"
    )

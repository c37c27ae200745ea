"""``vigie audit verify|checkpoint|export``: prove the journal intact, sign its head,
take it away.

    vigie audit verify [--json] [--checkpoints DIR]      # the database's journal
    vigie audit verify --file journal.jsonl [--checkpoints DIR]   # an export, offline
    vigie audit checkpoint [--every S]                  # from a timer; the demo loops
    vigie audit export --out journal.jsonl [--from DATE] [--to DATE] [--member SLUG]

``verify`` exits 0 when every entry and checkpoint holds, 1 at the first broken one
(named on stderr), 2 when it cannot verify at all (no key, unreadable file). These are
system commands: they run as the CLI party, never ``--as`` a person. See docs/journal.md.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from vigie.audit import checkpoints as cp
from vigie.audit import export, integrity
from vigie.audit.services import journal
from vigie.core import actors
from vigie.core.management.base import EXIT_ERROR, EXIT_USAGE, VigieCommand
from vigie.core.management.loops import fresh_connection, stop_on_signals

logger = logging.getLogger("vigie.audit.checkpoint")


def parse_bound(text: str) -> datetime | date:
    """An ISO date (a whole day) or date and time; without an offset, in local time."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not an ISO date or date and time: {text!r} (e.g. 2026-11-20 or 2026-11-20T08:00)"
        ) from exc
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _moment(value: datetime | date | None, *, end: bool) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    # --to 2026-11-20 includes that whole day.
    day = value + timedelta(days=1) if end else value
    return timezone.make_aware(datetime.combine(day, time.min))


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not value > 0:
        raise argparse.ArgumentTypeError("the interval must be above 0 seconds")
    return value


def _location_options(parser: CommandParser) -> None:
    parser.add_argument(
        "--checkpoints",
        type=Path,
        metavar="DIR",
        help="the checkpoint directory (default: DATA_DIR/journal-checkpoints)",
    )
    parser.add_argument(
        "--key",
        type=Path,
        metavar="FILE",
        help="the signing key (default: DATA_DIR/journal-checkpoint.key)",
    )


class Command(VigieCommand):
    help = "Verify the journal, write a signed checkpoint of its head, export it."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{verify,checkpoint,export}"
        )
        verify = actions.add_parser("verify", help="walk the chain and check the checkpoints")
        verify.add_argument("--file", type=Path, help="verify this export instead of the database")
        verify.add_argument("--json", action="store_true", help="the report as JSON")
        _location_options(verify)
        point = actions.add_parser("checkpoint", help="sign and store the journal's head")
        point.add_argument(
            "--every", type=_positive, metavar="S", help="again every S seconds until SIGTERM"
        )
        point.add_argument("--json", action="store_true", help="the checkpoint as JSON")
        _location_options(point)
        out = actions.add_parser("export", help="write the journal to a file")
        out.add_argument("--out", required=True, help="the file to write ('-': standard output)")
        out.add_argument("--from", dest="start", type=parse_bound, metavar="DATE")
        out.add_argument("--to", dest="end", type=parse_bound, metavar="DATE")
        out.add_argument("--member", metavar="SLUG", help="only this member's entries")
        out.add_argument(
            "--format",
            choices=["jsonl", "csv"],
            default="jsonl",
            help="jsonl (default; verifiable) or csv (for a spreadsheet)",
        )
        out.add_argument("--reason", default="", help="why the journal leaves (journaled)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actors.current()
        if actor is not None and not actor.system:
            raise CommandError("the journal's integrity is a system task: run it without --as")
        try:
            getattr(self, f"do_{options['action']}")(options)
        except cp.CheckpointRefused as exc:
            raise CommandError(f"{exc}; run `vigie audit verify`", returncode=EXIT_ERROR) from exc
        except (cp.CheckpointError, export.ExportFormatError) as exc:
            raise CommandError(str(exc), returncode=EXIT_USAGE) from exc

    # ------------------------------------------------------------------ verify

    def do_verify(self, options: dict[str, Any]) -> None:
        if options["file"] is not None:
            report = self._verify_file(options)
        else:
            report = integrity.verify_database(options["checkpoints"], options["key"])
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        if options["json"]:
            self.emit_json(report.as_dict())
        elif report.ok:
            self.stdout.write(_summary(report))
        if report.problem is not None:
            where = report.problem.where
            where = f" ({where})" if where and where not in report.problem.message else ""
            raise CommandError(
                f"journal broken: {report.problem.message}{where}", returncode=EXIT_ERROR
            )

    def _verify_file(self, options: dict[str, Any]) -> integrity.Report:
        path: Path = options["file"]
        try:
            with path.open(encoding="utf-8") as f:
                header = export.read_header(f)
                return integrity.verify_records(
                    export.read_records(f),
                    source=str(path),
                    chain=header["chain"],
                    directory=options["checkpoints"],
                    key_file=options["key"],
                    until=datetime.fromisoformat(header["exported_at"]),
                )
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}", returncode=EXIT_USAGE) from exc

    # -------------------------------------------------------------- checkpoint

    def do_checkpoint(self, options: dict[str, Any]) -> None:
        if options["every"] is None:
            point = cp.write(options["checkpoints"], options["key"])
            if options["json"]:
                self.emit_json(point.as_dict())
            else:
                self.stdout.write(_checkpoint_line(point))
            return
        self._checkpoint_loop(options["every"], options["checkpoints"], options["key"])

    def _checkpoint_loop(self, every: float, directory: Path | None, key: Path | None) -> None:
        self.stdout.write(f"journal checkpoints: one every {every:g} s until SIGTERM")
        written = 0
        with stop_on_signals("journal checkpoints") as stop:
            while not stop.is_set():
                written += self._checkpoint_once(directory, key)
                stop.wait(every)
            # One after the signal, so that the journal of the whole run is covered.
            written += self._checkpoint_once(directory, key)
        self.stdout.write(f"journal checkpoints: stopped after {written}")

    def _checkpoint_once(self, directory: Path | None, key: Path | None) -> int:
        fresh_connection()
        try:
            point = cp.write(directory, key)
        except Exception:
            # A refused or failed checkpoint is an alarm, not a reason to stop trying.
            logger.exception("journal checkpoint failed; run `vigie audit verify`")
            return 0
        logger.info("%s", _checkpoint_line(point))
        return 1

    # ------------------------------------------------------------------ export

    def do_export(self, options: dict[str, Any]) -> None:
        member = self.member_by_slug(options["member"]) if options["member"] else None
        selection = export.Selection(
            start=_moment(options["start"], end=False),
            end=_moment(options["end"], end=True),
            member_id=member.pk if member else None,
            member=member.slug if member else "",
        )
        write = export.write_csv if options["format"] == "csv" else export.write_jsonl
        with _output(options["out"], self.stdout) as out:
            count = write(out, selection)
        header = selection.header(timezone.now())
        journal(
            "audit.journal.export",
            member_id=selection.member_id,
            reason=options["reason"],
            details={"format": options["format"], "entries": count, **header["filters"]},
        )
        if options["out"] != "-":
            self.stderr.write(f"exported {count} journal entries to {options['out']}")


@contextlib.contextmanager
def _output(name: str, stdout: Any) -> Iterator[IO[str]]:
    if name == "-":
        yield stdout
        return
    try:
        # 0600 when new: the journal names people and their addresses.
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        f: IO[str] = open(fd, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise CommandError(f"cannot write {name}: {exc}", returncode=EXIT_USAGE) from exc
    with f:
        yield f


def _summary(report: integrity.Report) -> str:
    newest = report.newest_checkpoint
    checked = f"{report.checkpoints} checkpoint(s) checked"
    if newest is not None:
        checked += f", newest {newest.at} at {newest.count} entries"
    scope = "" if report.chain == integrity.COMPLETE else f" ({report.chain} only)"
    return (
        f"journal intact{scope}: {report.entries} entries, last id {report.last_id or '-'},"
        f" head {report.head}; {checked}"
    )


def _checkpoint_line(point: cp.Checkpoint) -> str:
    return (
        f"checkpoint: {point.count} entries up to entry {point.last_id or '-'},"
        f" head {point.head} ({point.where})"
    )

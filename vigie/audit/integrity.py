"""Verification of the journal: the hash chain, entry by entry, and the signed
checkpoints of its head (see checkpoints.py and docs/journal.md).

The walk streams entries in id order and keeps only the previous one, so memory stays
constant however long the journal. It stops at the first problem, which names the
entry where the chain first fails to hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from django.db import connection

from vigie.audit import checkpoints as cp
from vigie.audit.models import JournalEntry
from vigie.audit.services import GENESIS, entry_hash, hashed_fields

# How a sequence of entries is chained: from the first entry ever, a contiguous run
# that starts further on, or a selection whose neighbours are not next to each other.
COMPLETE, RANGE, ENTRIES = "complete", "range", "entries"


@dataclass(frozen=True)
class Record:
    """One entry as the verification needs it, read from the database or an export."""

    id: int
    prev_hash: str
    hash: str
    fields: dict[str, Any]
    line: int | None = None


@dataclass(frozen=True)
class Problem:
    kind: str  # hash, link, order, checkpoint, cut, signature, format
    message: str
    entry_id: int | None = None
    where: str = ""  # a checkpoint ("journal-2026-11.jsonl:3") or an export line

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "entry_id": self.entry_id,
            "where": self.where,
            "message": self.message,
        }


class BrokenRecord(Exception):
    """Raised by a record source for an input it cannot read (a mangled export line)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class Report:
    source: str
    chain: str = COMPLETE
    entries: int = 0
    last_id: int | None = None
    head: str = GENESIS
    checkpoints: int = 0
    newest_checkpoint: cp.Checkpoint | None = None
    problem: Problem | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        newest = self.newest_checkpoint
        return {
            "ok": self.ok,
            "source": self.source,
            "chain": self.chain,
            "entries": self.entries,
            "last_id": self.last_id,
            "head": self.head,
            "checkpoints_checked": self.checkpoints,
            "newest_checkpoint": newest.as_dict() if newest else None,
            "problem": self.problem.as_dict() if self.problem else None,
            "warnings": self.warnings,
        }


def record_of(entry: JournalEntry) -> Record:
    return Record(entry.pk, entry.prev_hash, entry.hash, hashed_fields(entry))


def _record_problem(record: Record, prev: Record | None, expected_prev: str) -> Problem | None:
    if prev is not None and record.id <= prev.id:
        return Problem(
            "order",
            f"entry {record.id} comes after entry {prev.id}: entries are out of order",
            record.id,
        )
    if record.prev_hash != expected_prev:
        after = f"entry {prev.id}" if prev else "the start of the journal"
        return Problem(
            "link",
            f"entry {record.id} does not follow {after} (its previous hash differs):"
            " entries before it were removed, reordered or altered",
            record.id,
        )
    if entry_hash(record.prev_hash, record.fields) != record.hash:
        return Problem(
            "hash",
            f"entry {record.id} does not match its hash: its content was altered",
            record.id,
        )
    return None


class _CheckpointCursor:
    """The checkpoints in count order, each compared when the walk reaches its count."""

    def __init__(self, items: Iterable[cp.Checkpoint]) -> None:
        self._items = iter(items)
        self._next = next(self._items, None)
        self.checked = 0
        self.newest: cp.Checkpoint | None = None

    def at(self, count: int, last_id: int | None, head: str) -> Problem | None:
        while self._next is not None and self._next.count == count:
            point = self._next
            if point.last_id != last_id or point.head != head:
                return Problem(
                    "checkpoint",
                    f"entry {last_id}, the journal's entry number {count}, differs from the"
                    f" checkpoint {point.where} of {point.at} (entry {point.last_id}):"
                    " the journal was rewritten at or before it",
                    last_id,
                    point.where,
                )
            self.checked += 1
            self.newest = point
            self._next = next(self._items, None)
        return None

    def beyond(self, count: int, last_id: int | None) -> Problem | None:
        point = self._next
        if point is None:
            return None
        return Problem(
            "cut",
            f"the journal ends at entry {last_id} ({count} entries) but the checkpoint"
            f" {point.where} of {point.at} records {point.count} entries up to entry"
            f" {point.last_id}: entries were removed from the end",
            point.last_id,
            point.where,
        )


def walk(
    records: Iterable[Record],
    points: Iterable[cp.Checkpoint] = (),
    *,
    report: Report,
) -> Report:
    """Check every record and every checkpoint (already signature-checked) in one pass."""
    cursor = _CheckpointCursor(points)
    report.problem = cursor.at(0, None, GENESIS) or _walk_records(records, cursor, report)
    report.problem = report.problem or cursor.beyond(report.entries, report.last_id)
    report.checkpoints, report.newest_checkpoint = cursor.checked, cursor.newest
    return report


def _walk_records(
    records: Iterable[Record], cursor: _CheckpointCursor, report: Report
) -> Problem | None:
    prev: Record | None = None
    expected = GENESIS
    try:
        for record in records:
            if report.chain == ENTRIES or (prev is None and report.chain == RANGE):
                # A selection links to entries it does not hold: only order and content
                # can be checked there.
                expected = record.prev_hash
            problem = _record_problem(record, prev, expected)
            if problem is None:
                report.entries += 1
                prev, expected = record, record.hash
                report.last_id, report.head = record.id, record.hash
                problem = cursor.at(report.entries, record.id, record.hash)
            if problem:
                if record.line and not problem.where:
                    problem = replace(problem, where=f"line {record.line}")
                return problem
    except BrokenRecord as exc:
        return exc.problem
    return None


def check_signatures(directory: Path, key: cp.Key) -> tuple[int, Problem | None]:
    """How many checkpoints there are, or the first one that is not genuine."""
    count, previous = 0, None
    try:
        for point in cp.read(directory):
            problem = _signature_problem(point, previous, key)
            if problem:
                return count, problem
            count, previous = count + 1, point
    except cp.CheckpointError as exc:
        return count, Problem("signature", str(exc))
    return count, None


def _signature_problem(
    point: cp.Checkpoint, previous: cp.Checkpoint | None, key: cp.Key
) -> Problem | None:
    if point.alg != cp.ALG or point.key_id != key.id:
        what = f"algorithm {point.alg}, key {point.key_id}"
        return Problem(
            "signature", f"checkpoint {point.where} is not signed with this key ({what})"
        )
    if not key.verify(point.message(), point.sig):
        return Problem("signature", f"checkpoint {point.where}: bad signature, forged or altered")
    if previous is not None and point.count < previous.count:
        return Problem(
            "signature",
            f"checkpoint {point.where} records fewer entries ({point.count}) than"
            f" {previous.where} ({previous.count}): the journal was cut before it was written",
            point.last_id,
        )
    return None


def _genuine_checkpoints(
    report: Report, directory: Path, key_file: Path | None
) -> Iterator[cp.Checkpoint] | None:
    """The checkpoints, once all signatures hold; None after a problem."""
    if not cp.files(directory):
        report.warnings.append(
            f"no checkpoint in {directory}: entries cut from the end cannot be detected"
        )
        return iter(())
    key = cp.load_key(key_file)
    # Count first: a checkpoint written while the walk runs may be ahead of what it reads.
    count, problem = check_signatures(directory, key)
    if problem:
        report.problem = problem
        return None
    return islice(cp.read(directory), count)


TRIGGERS = {"audit_journalentry_no_update_delete", "audit_journalentry_no_truncate"}


def missing_triggers() -> set[str]:
    """The refusing triggers of migration 0002 that are gone or disabled (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgenabled <> 'D'",
            [JournalEntry._meta.db_table],
        )
        return TRIGGERS - {row[0] for row in cursor.fetchall()}


def verify_database(directory: Path | None = None, key_file: Path | None = None) -> Report:
    """Walk the whole journal and check it against every checkpoint."""
    directory = directory or cp.default_directory()
    report = Report(source="database")
    missing = missing_triggers()
    if missing:
        # Not damage in itself, but nothing stops UPDATE and DELETE any more.
        report.warnings.append(f"the journal's triggers are missing or disabled: {sorted(missing)}")
    points = _genuine_checkpoints(report, directory, key_file)
    if points is None:
        return report
    entries = JournalEntry.objects.order_by("id").iterator(chunk_size=2000)
    return walk((record_of(e) for e in entries), points, report=report)


def verify_records(
    records: Iterable[Record],
    *,
    source: str,
    chain: str,
    directory: Path | None = None,
    key_file: Path | None = None,
    until: datetime | None = None,
) -> Report:
    """Verify a sequence of records read elsewhere (an export), optionally against the
    checkpoints written up to ``until`` (the time of the export)."""
    report = Report(source=source, chain=chain)
    points: Iterable[cp.Checkpoint] = ()
    if directory is not None:
        if chain != COMPLETE:
            raise cp.CheckpointError("checkpoints can only be checked on a complete export")
        found = _genuine_checkpoints(report, directory, key_file)
        if found is None:
            return report
        points = (p for p in found if until is None or datetime.fromisoformat(p.at) <= until)
    return walk(records, points, report=report)

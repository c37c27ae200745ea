"""Export of the journal as JSON lines (verifiable offline) or CSV (for a spreadsheet).

A JSON-lines export starts with a header line, then one entry per line with every
hashed field, ``prev_hash`` and ``hash``, exactly as hashed: `vigie audit verify --file`
recomputes the chain from the file alone, and against the signed checkpoints when it
is given their directory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from vigie.audit.integrity import COMPLETE, ENTRIES, RANGE, BrokenRecord, Problem, Record
from vigie.audit.models import JournalEntry
from vigie.audit.services import HASHED_FIELDS, hashed_fields

FORMAT = "vigie-journal"
VERSION = 1
COLUMNS = ("id", *HASHED_FIELDS, "prev_hash", "hash")


class ExportFormatError(ValueError):
    """The file is not a journal export this version can verify."""


@dataclass(frozen=True)
class Selection:
    start: datetime | None = None
    end: datetime | None = None
    member_id: int | None = None
    member: str = ""

    @property
    def chain(self) -> str:
        if self.member_id is not None:
            return ENTRIES
        return RANGE if self.start or self.end else COMPLETE

    def entries(self) -> QuerySet[JournalEntry]:
        qs = JournalEntry.objects.order_by("id")
        if self.member_id is not None:
            qs = qs.filter(member_id=self.member_id)
        # Times bound the ids: entries stamped slightly out of order by concurrent
        # writers stay in, so a range is always a contiguous run of the chain.
        if self.start is not None:
            first = JournalEntry.objects.filter(at__gte=self.start).aggregate(v=Min("id"))["v"]
            qs = qs.filter(id__gte=first) if first is not None else qs.none()
        if self.end is not None:
            last = JournalEntry.objects.filter(at__lt=self.end).aggregate(v=Max("id"))["v"]
            qs = qs.filter(id__lte=last) if last is not None else qs.none()
        return qs

    def header(self, exported_at: datetime) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": exported_at.isoformat(),
            "chain": self.chain,
            "filters": {
                "from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None,
                "member": self.member or None,
            },
        }


def row(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        **hashed_fields(entry),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def write_jsonl(out: IO[str], selection: Selection) -> int:
    """Write the header and the entries; return how many entries."""
    # Taken before the read: every checkpoint written up to now is covered by it.
    exported_at = timezone.now()
    out.write(json.dumps(selection.header(exported_at), ensure_ascii=False) + "\n")
    count = 0
    for entry in selection.entries().iterator(chunk_size=2000):
        out.write(json.dumps(row(entry), cls=DjangoJSONEncoder, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(out: IO[str], selection: Selection) -> int:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for entry in selection.entries().iterator(chunk_size=2000):
        data = row(entry)
        for name in ("object_ids", "details"):
            data[name] = json.dumps(data[name], cls=DjangoJSONEncoder, ensure_ascii=False)
        writer.writerow(["" if data[c] is None else data[c] for c in COLUMNS])
        count += 1
    return count


def read_header(f: IO[str]) -> dict[str, Any]:
    text = f.readline()
    try:
        header = json.loads(text)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ExportFormatError(
            "not a Vigie journal export in JSON lines (CSV exports are for reading only)"
        )
    if header.get("version") != VERSION or header.get("chain") not in (COMPLETE, RANGE, ENTRIES):
        raise ExportFormatError(f"unsupported journal export (version {header.get('version')})")
    return header


def read_records(f: IO[str]) -> Iterator[Record]:
    """The entries after the header, one Record per line (BrokenRecord on a bad line)."""
    for number, text in enumerate(f, 2):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            yield Record(
                id=int(data["id"]),
                prev_hash=str(data["prev_hash"]),
                hash=str(data["hash"]),
                fields={name: data[name] for name in HASHED_FIELDS},
                line=number,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BrokenRecord(
                Problem(
                    "format",
                    f"line {number} is not a journal entry ({exc})",
                    where=f"line {number}",
                )
            ) from exc

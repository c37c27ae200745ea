"""A synthetic set for the register tests: destructions with dates, holds placed and
released, journal entries in bulk."""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from vigie.audit.models import JournalEntry
from vigie.audit.services import GENESIS
from vigie.core.testing import as_system, make_user
from vigie.recording.holds import place_hold, release_hold
from vigie.recording.models import DestructionCause, DestructionRecord, LegalHold

# A fixed period well inside "today - 365 days": the tests pass whatever the date.
START = date(2026, 3, 1)
END = date(2026, 3, 31)


def at(day: int, hour: int = 12, month: int = 3) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour, 0))


def destruction(member: Any, camera: Any, destroyed: datetime, **kw: Any) -> DestructionRecord:
    with as_system():
        record = DestructionRecord(
            member=member,
            camera=camera,
            camera_name=camera.name,
            period_start=kw.pop("period_start", destroyed - timedelta(days=15)),
            period_end=kw.pop("period_end", destroyed - timedelta(days=14)),
            segment_count=kw.pop("segment_count", 1440),
            bytes=kw.pop("bytes", 3_000_000_000),
            cause=kw.pop("cause", DestructionCause.RETENTION),
        )
        record.save()
        # destroyed_at is stamped on creation; the register's dates are set afterwards.
        DestructionRecord.objects.unrestricted().filter(pk=record.pk).update(destroyed_at=destroyed)
    record.refresh_from_db()
    return record


def hold(
    member: Any, cameras: list[Any], placed: datetime, released: datetime | None = None, **kw: Any
) -> LegalHold:
    with as_system():
        item = place_hold(
            member,
            cameras,
            kw.pop("start", placed - timedelta(days=2)),
            kw.pop("end", placed - timedelta(days=1)),
            reason=kw.pop("reason", "Réquisition OPJ"),
            reference=kw.pop("reference", "PV-2026-1"),
        )
        if released is not None:
            release_hold(item, "Procédure close")
        # Stamped on creation and release: the register's dates are set afterwards.
        rows = LegalHold.objects.unrestricted().filter(pk=item.pk)
        rows.update(placed_at=placed, released_at=released)
    item.refresh_from_db()
    return item


@dataclass
class Roles:
    auditor: Any
    technician: Any
    operator: Any
    auditor_a: Any


def roles(world: Any) -> Roles:
    """The other roles of the brief, made once per world."""
    made = getattr(world, "_roles", None)
    if made is not None:
        return made
    world._roles = Roles(
        auditor=make_user("dpo", role="auditor", all_members=True),
        technician=make_user("tech", role="technician", all_members=True),
        operator=make_user("operator", role="csu_operator", all_members=True),
        auditor_a=make_user("dpo-a", role="auditor", members=[world.a]),
    )
    return world._roles


def bulk_journal(count: int, **fields: Any) -> None:
    """``count`` entries written directly (chain not computed): a large journal, fast."""
    base = timezone.now() - timedelta(days=1)
    rows = []
    for n in range(count):
        digest = hashlib.sha256(f"{n}-{fields}".encode()).hexdigest()
        values = {
            "at": base + timedelta(seconds=n),
            "actor_name": "bulk",
            "action": "recording.playback",
            "object_type": "inventory.camera",
            "object_ids": ["0"],
            "details": {},
            **fields,
        }
        rows.append(JournalEntry(prev_hash=GENESIS, hash=digest, **values))
    JournalEntry.objects.bulk_create(rows, batch_size=2000)


def delivery(member: Any, delivered: datetime, **kw: Any) -> Any:
    """A requisition of ``member`` and one delivery of it (the evidence app's models)."""
    from vigie.evidence.models import Delivery, Requisition

    with as_system():
        requisition = Requisition(
            member=member,
            service="police_nationale",
            officer_name=kw.pop("officer", "Lt. Martin"),
            procedure_number=kw.pop("procedure", "PV-2026-000123"),
            facts="Vol à l'arraché",
            received_on=delivered.date() - timedelta(days=3),
        )
        requisition.save()
        item = Delivery(
            requisition=requisition,
            delivered_at=delivered,
            officer_name=kw.pop("received_by", "Brigadier Durand"),
            medium_reference=kw.pop("medium", "DVD-0042"),
            package_sha256=kw.pop("sha", "ab" * 32),
        )
        item.save()
    return item


def pdf_title(content: bytes) -> str:
    """The document title WeasyPrint writes (from the HTML <title>), read from the PDF's
    compressed object streams: a text check without pdftotext."""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            data = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        found = re.search(rb"/Title\s*(<[0-9a-fA-F]+>|\((?:[^()\\]|\\.)*\))", data)
        if found is None:
            continue
        raw = found.group(1)
        if raw.startswith(b"<"):
            return bytes.fromhex(raw[1:-1].decode()).decode("utf-16")
        return raw[1:-1].decode("latin-1")
    return ""

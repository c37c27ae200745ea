"""The one entry point through which every change and every access to images is journaled."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from vigie.audit.models import JournalEntry
from vigie.core import actors

GENESIS = "0" * 64
# Any constant works: it only serialises writers of the chain on PostgreSQL.
_CHAIN_LOCK = 0x5649474945


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False)
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


# What an entry's hash covers, besides the previous hash: everything but id and hashes.
HASHED_FIELDS = (
    "at",
    "actor_name",
    "actor_user_id",
    "actor_system",
    "member_id",
    "action",
    "object_type",
    "object_ids",
    "object_repr",
    "reason",
    "details",
    "request_id",
    "source_address",
)


def hashed_fields(entry: JournalEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor_name": entry.actor_name,
        "actor_user_id": entry.actor_user_id,
        "actor_system": entry.actor_system,
        "member_id": entry.member_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_ids": entry.object_ids,
        "object_repr": entry.object_repr,
        "reason": entry.reason,
        "details": entry.details,
        "request_id": entry.request_id,
        "source_address": entry.source_address,
    }


def journal(
    action: str,
    *,
    objects: Iterable[models.Model] = (),
    member_id: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    actor: actors.Actor | None = None,
) -> JournalEntry:
    """Append one entry; the actor defaults to whoever is acting now (never nobody)."""
    who = actor or actors.current()
    if who is None:
        raise PermissionError("journal entries need an actor (a person, a job or the CLI)")
    objs = list(objects)
    entry = JournalEntry(
        at=timezone.now(),
        actor_name=who.name[:150],
        actor_user_id=who.user_id,
        actor_system=who.system,
        member_id=member_id,
        action=action[:100],
        object_type=objs[0]._meta.label_lower if objs else "",
        object_ids=[str(o.pk) for o in objs],
        object_repr=", ".join(str(o) for o in objs)[:300],
        reason=reason,
        details=json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder)),
        request_id=who.request_id,
        source_address=who.source_address,
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        last = JournalEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        entry.prev_hash = last or GENESIS
        entry.hash = entry_hash(entry.prev_hash, hashed_fields(entry))
        entry.save()
    return entry


def verify_chain() -> JournalEntry | None:
    """Return the first entry whose hash or link does not hold, or None if all hold."""
    prev = GENESIS
    for entry in JournalEntry.objects.order_by("id").iterator():
        if entry.prev_hash != prev or entry.hash != entry_hash(prev, hashed_fields(entry)):
            return entry
        prev = entry.hash
    return None

"""Storage alarms: raised once when a full pool can free nothing (the recorder then
stops writing there), cleared when space is back. Shown on the dashboard."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from vigie.audit.services import journal
from vigie.core import actors
from vigie.inventory.models import StoragePool
from vigie.recording.models import AlarmSeverity, StorageAlarm

logger = logging.getLogger(__name__)
JOB_NAME = "job:retention"


def _job() -> actors.Actor:
    return actors.system(JOB_NAME)


# ------------------------------------------------------------------------ storage alarms

# Pools whose alarm could not even be written (the database's disk is full too): this
# process still refuses to write there. Cleared when the alarm is finally recorded.
_UNRECORDED_ALARMS: set[int] = set()


def raise_storage_alarm(
    pool: StoragePool, message: str, severity: str = AlarmSeverity.CRITICAL
) -> tuple[StorageAlarm | None, bool]:
    """Raise the pool's alarm unless one is active already; (alarm, newly raised)."""
    existing = StorageAlarm.objects.unrestricted().filter(
        storage_pool=pool, cleared_at__isnull=True
    )
    alarm = existing.first()
    if alarm is not None:
        return alarm, False
    try:
        with transaction.atomic(), actors.acting_as(actors.current() or _job()):
            alarm = StorageAlarm(
                storage_pool=pool,
                raised_at=timezone.now(),
                severity=severity,
                message=message[:500],
            )
            alarm.save()
            journal(
                "recording.storagealarm.raise",
                objects=[alarm],
                member_id=pool.member_id,
                reason=message,
                details={"pool": pool.pk, "severity": str(severity)},
            )
    except (IntegrityError, ValidationError):
        # Raised meanwhile by another pass: one alarm per pool, the database says so.
        return existing.first(), False
    except DatabaseError as exc:
        _UNRECORDED_ALARMS.add(pool.pk)
        logger.critical("pool %s: %s (and the alarm could not be recorded: %s)", pool, message, exc)
        return None, False
    _UNRECORDED_ALARMS.discard(pool.pk)
    logger.critical("storage alarm on pool %s: %s", pool.name, message)
    return alarm, True


def clear_storage_alarm(pool: StoragePool, reason: str) -> StorageAlarm | None:
    """Clear the pool's active alarm, if any; the recorder may write there again."""
    _UNRECORDED_ALARMS.discard(pool.pk)
    alarm = (
        StorageAlarm.objects.unrestricted()
        .filter(storage_pool=pool, cleared_at__isnull=True)
        .first()
    )
    if alarm is None:
        return None
    with transaction.atomic(), actors.acting_as(actors.current() or _job()):
        alarm.cleared_at = timezone.now()
        alarm.save()
        journal(
            "recording.storagealarm.clear",
            objects=[alarm],
            member_id=pool.member_id,
            reason=reason,
            details={"pool": pool.pk, "raised_at": alarm.raised_at},
        )
    logger.warning("storage alarm on pool %s cleared: %s", pool.name, reason)
    return alarm


def pool_writable(pool: StoragePool) -> bool:
    """Whether the recorder may write new footage on this pool: it is enabled and no
    storage alarm is active on it."""
    if not pool.enabled or pool.pk in _UNRECORDED_ALARMS:
        return False
    return not (
        StorageAlarm.objects.unrestricted()
        .filter(storage_pool=pool, cleared_at__isnull=True)
        .exists()
    )


def active_storage_alarms(who: Any) -> QuerySet[StorageAlarm]:
    """The storage alarms in force that ``who`` may see."""
    return (
        StorageAlarm.objects.restrict(who, "view")
        .filter(cleared_at__isnull=True)
        .select_related("storage_pool")
    )

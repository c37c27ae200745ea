"""Legal holds: footage frozen for a judicial procedure. Placing and releasing are
journaled; every deleter reads ``hold_spans()`` and keeps what a hold touches."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.services import journal
from vigie.core.models import IsolationError, require_actor
from vigie.inventory.models import Camera
from vigie.recording.models import LegalHold
from vigie.recording.retention import HoldSpan
from vigie.tenancy.models import Member

logger = logging.getLogger(__name__)


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def place_hold(
    member: Member,
    cameras: Iterable[Camera],
    start: datetime,
    end: datetime,
    reason: str,
    reference: str,
) -> LegalHold:
    """Freeze the footage of ``cameras`` (all of ``member``) between ``start`` and ``end``.

    Nothing deletes it until the hold is released: not retention, not disk pressure,
    not a person.
    """
    actor = require_actor()
    cameras = list(cameras)
    reason, reference = (reason or "").strip(), (reference or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Give the reason for the hold.")
    if not reference:
        errors["reference"] = _("Give the procedure or requisition number.")
    if not cameras:
        errors["cameras"] = _("Name at least one camera.")
    elif any(c.member_id != member.pk for c in cameras):
        errors["cameras"] = _("Some of them belong to another member.")
    if errors:
        raise ValidationError(errors)
    camera_ids = sorted({c.pk for c in cameras})
    if not actor.system:
        visible = Camera.objects.restrict(actor, "view").filter(pk__in=camera_ids).count()
        if visible != len(camera_ids):
            raise IsolationError(_("Some of these cameras are outside your reach."))
    with transaction.atomic():
        # Serialise with deletions, which lock the camera before re-reading its holds.
        list(
            Camera.objects.unrestricted()
            .select_for_update()
            .filter(pk__in=camera_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        hold = LegalHold(
            member=member,
            start=_aware(start),
            end=_aware(end),
            reason=reason,
            reference=reference,
            placed_by=actor.user,
        )
        hold.save()
        hold.cameras.set(camera_ids)
        journal(
            "recording.legalhold.place",
            objects=[hold],
            member_id=member.pk,
            reason=reason,
            details={
                "reference": reference,
                "cameras": camera_ids,
                "camera_names": sorted(c.name for c in cameras),
                "start": hold.start,
                "end": hold.end,
            },
        )
    logger.info("legal hold %s placed on %d camera(s) by %s", hold.pk, len(camera_ids), actor.name)
    return hold


def release_hold(hold: LegalHold, reason: str) -> LegalHold:
    """End a hold: its footage follows normal retention again from the next pass."""
    actor = require_actor()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the release.")})
    if hold.released_at is not None:
        raise ValidationError(_("This hold was released already."))
    with transaction.atomic():
        hold.released_at = timezone.now()
        hold.released_by = actor.user
        hold.release_reason = reason
        hold.save()
        journal(
            "recording.legalhold.release",
            objects=[hold],
            member_id=hold.member_id,
            reason=reason,
            details={
                "reference": hold.reference,
                "cameras": sorted(hold.cameras.values_list("pk", flat=True)),
                "start": hold.start,
                "end": hold.end,
            },
        )
    logger.info("legal hold %s released by %s", hold.pk, actor.name)
    return hold


def active_holds(who: Any) -> QuerySet[LegalHold]:
    """The holds in force that ``who`` may see."""
    return (
        LegalHold.objects.restrict(who, "view")
        .filter(released_at__isnull=True)
        .select_related("member")
        .prefetch_related("cameras")
    )


def hold_spans(camera_ids: Iterable[int] | None = None) -> list[HoldSpan]:
    """Every active hold, one span per camera, for the decisions (whoever acts)."""
    through = LegalHold.cameras.through.objects.filter(legalhold__released_at__isnull=True)
    if camera_ids is not None:
        through = through.filter(camera_id__in=list(camera_ids))
    return [
        HoldSpan(camera_id=cam, start=start, end=end, hold_id=hold)
        for hold, cam, start, end in through.values_list(
            "legalhold_id", "camera_id", "legalhold__start", "legalhold__end"
        )
    ]

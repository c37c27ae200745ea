"""Requisitions: filing (which holds the footage at once), the workflow, review hours and
deliveries. The only writers of the evidence models besides ``exports.py``.

Holds are placed and released through ``vigie.recording.holds``. An officer who files
their own requisition may not manage holds themselves: the hold is then placed by the
party ``evidence:<their name>`` on their behalf, the filing itself being journaled in
their name. Every transition is journaled with the reason the person typed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.services import journal
from vigie.core import actors
from vigie.core.models import require_actor
from vigie.evidence import workflow, ziparchive
from vigie.evidence.models import Delivery, ExportJob, Requisition, RequisitionRange, ReviewTime
from vigie.evidence.workflow import Status
from vigie.inventory.models import Camera
from vigie.recording.holds import place_hold, release_hold
from vigie.recording.models import LegalHold
from vigie.tenancy.models import Member


@dataclass(frozen=True)
class RangeSpec:
    """One camera over one period, as typed (times aware)."""

    camera: Camera
    start: datetime
    end: datetime


def masks_for(camera: Camera) -> tuple[Any, ...]:
    """The privacy-mask polygons to apply to ``camera``'s exported footage.

    Reads ``vigie.recording.masking.polygons_for(camera)`` when the masking feature is
    installed; without it, no mask is known and the export is a stream copy.
    """
    try:
        from vigie.recording.masking import polygons_for
    except ImportError:
        return ()
    return tuple(polygons_for(camera))


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


@contextmanager
def _hold_party(member: Member, action: str) -> Iterator[None]:
    """Act on holds as the person when they may, else as ``evidence:<person>``."""
    actor = require_actor()
    if actor.system:
        yield
        return
    allowed = actor.grants().member_ids(LegalHold._meta.label_lower, action)
    if allowed is None or member.pk in allowed:
        yield
        return
    with actors.acting_as(actors.system(f"evidence:{actor.name}"[:150])):
        yield


def _hold_reason(requisition: Requisition) -> str:
    return _("Judicial requisition %(number)s (%(service)s, %(officer)s): %(facts)s") % {
        "number": requisition.procedure_number,
        "service": requisition.get_service_display(),
        "officer": requisition.officer_name,
        "facts": requisition.facts[:300],
    }


def _range_details(ranges: Sequence[RequisitionRange]) -> list[dict[str, Any]]:
    return [
        {"camera": r.camera_id, "camera_name": r.camera.name, "start": r.start, "end": r.end}
        for r in ranges
    ]


def _hold_ranges(requisition: Requisition, ranges: list[RequisitionRange]) -> None:
    """Validate, hold and save ranges: one hold per distinct period, over its cameras."""
    for r in ranges:
        r.full_clean()
    by_period: dict[tuple[datetime, datetime], list[RequisitionRange]] = defaultdict(list)
    for r in ranges:
        by_period[(r.start, r.end)].append(r)
    with _hold_party(requisition.member, "add"):
        for (start, end), group in by_period.items():
            hold = place_hold(
                requisition.member,
                [r.camera for r in group],
                start,
                end,
                reason=_hold_reason(requisition),
                reference=requisition.procedure_number[:100],
            )
            for r in group:
                r.legal_hold = hold
    for r in ranges:
        r.save()


def file_requisition(
    *,
    member: Member,
    service: str,
    officer_name: str,
    procedure_number: str,
    facts: str,
    ranges: Sequence[RangeSpec],
    officer_id: str = "",
    received_on: date | None = None,
    deadline: date | None = None,
) -> Requisition:
    """File a requisition and hold its footage at once (all or nothing)."""
    actor = require_actor()
    if not ranges:
        raise ValidationError({"ranges": _("Name at least one camera and period.")})
    with transaction.atomic():
        requisition = Requisition(
            member=member,
            service=service,
            officer_name=(officer_name or "").strip(),
            officer_id=(officer_id or "").strip(),
            procedure_number=(procedure_number or "").strip(),
            facts=(facts or "").strip(),
            received_on=received_on or timezone.localdate(),
            deadline=deadline,
            created_by=actor.user,
        )
        requisition.save()
        rows = [
            RequisitionRange(
                requisition=requisition,
                camera=spec.camera,
                start=_aware(spec.start),
                end=_aware(spec.end),
            )
            for spec in ranges
        ]
        _hold_ranges(requisition, rows)
        journal(
            "evidence.requisition.file",
            objects=[requisition],
            member_id=member.pk,
            reason=requisition.facts,
            details={
                "procedure_number": requisition.procedure_number,
                "service": requisition.service,
                "officer": requisition.officer_name,
                "ranges": _range_details(rows),
            },
        )
    return requisition


def add_range(requisition: Requisition, camera: Camera, start: datetime, end: datetime) -> Any:
    """Name one more camera and period; its footage is held at once."""
    if not requisition.open:
        raise ValidationError(_("This requisition is closed: it names no more footage."))
    with transaction.atomic():
        row = RequisitionRange(
            requisition=requisition, camera=camera, start=_aware(start), end=_aware(end)
        )
        _hold_ranges(requisition, [row])
        journal(
            "evidence.requisition.add_range",
            objects=[requisition, row],
            member_id=requisition.member_id,
            details={"ranges": _range_details([row])},
        )
    return row


def active_holds_of(requisition: Requisition) -> list[LegalHold]:
    ids = (
        RequisitionRange.objects.unrestricted()
        .filter(requisition=requisition, legal_hold__isnull=False)
        .values_list("legal_hold_id", flat=True)
    )
    return list(
        LegalHold.objects.unrestricted()
        .filter(pk__in=list(ids), released_at__isnull=True)
        .order_by("pk")
    )


def transition(
    requisition: Requisition, target: str, reason: str, *, manual: bool = True
) -> Requisition:
    """Move a requisition to ``target`` if the workflow allows it; closing or cancelling
    releases its holds, so that normal retention resumes."""
    require_actor()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for this step.")})
    with transaction.atomic():
        # Re-read under a lock: two people (or a person and the export worker) at once.
        current = (
            Requisition.objects.unrestricted()
            .select_for_update()
            .values_list("status", flat=True)
            .get(pk=requisition.pk)
        )
        try:
            workflow.check(current, target, manual=manual)
        except workflow.TransitionError as exc:
            raise ValidationError(
                {"status": _("This step is not allowed: %(why)s.") % {"why": exc}}
            ) from exc
        requisition.status = target
        requisition.outcome = workflow.outcome_for(target, requisition.outcome)
        if target in workflow.FINAL:
            requisition.closed_at = timezone.now()
        requisition.save()
        released = []
        if target in workflow.FINAL:
            with _hold_party(requisition.member, "change"):
                for hold in active_holds_of(requisition):
                    release_hold(hold, reason)
                    released.append(hold.pk)
        journal(
            "evidence.requisition.transition",
            objects=[requisition],
            member_id=requisition.member_id,
            reason=reason,
            details={"from": current, "to": target, "holds_released": released},
        )
    return requisition


def log_review_time(
    requisition: Requisition,
    *,
    hours: Decimal | float | str,
    on: date | None = None,
    operator: Any = None,
    notes: str = "",
) -> ReviewTime:
    """Hours an operator (by default the person acting) spent reviewing footage."""
    actor = require_actor()
    operator = operator or actor.user
    if operator is None:
        raise ValidationError({"operator": _("Name the operator who reviewed the footage.")})
    row = ReviewTime(
        requisition=requisition,
        operator=operator,
        date=on or timezone.localdate(),
        hours=Decimal(str(hours)),
        notes=(notes or "").strip(),
    )
    row.save()
    return row


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


DeliveredZip = ziparchive.PackageZip | ziparchive.ZipFileOnDisk


def package_zip(job: ExportJob) -> DeliveredZip | None:
    """The zip of a finished export, as it is downloaded: the one written beside the
    package if there is one, else made from the package directory; None if neither
    is there."""
    if job.zip_path and Path(job.zip_path).is_file():
        return ziparchive.ZipFileOnDisk(Path(job.zip_path))
    if job.package_path and Path(job.package_path).is_dir():
        return ziparchive.PackageZip(Path(job.package_path))
    return None


def record_delivery(
    requisition: Requisition,
    *,
    officer_name: str,
    medium_reference: str,
    delivered_at: datetime | None = None,
    export_job: ExportJob | None = None,
    package_sha256: str = "",
    notes: str = "",
) -> Delivery:
    """Record what was handed over (court-deliveries register); the requisition becomes
    delivered. Without a hash given, the export's zip (as downloaded) is hashed."""
    actor = require_actor()
    if requisition.status not in workflow.DELIVERABLE:
        raise ValidationError(_("Only an exported requisition can be delivered."))
    if not package_sha256 and export_job is not None:
        delivered = package_zip(export_job)
        if delivered is not None:
            package_sha256 = delivered.sha256()
    with transaction.atomic():
        delivery = Delivery(
            requisition=requisition,
            export_job=export_job,
            delivered_at=delivered_at or timezone.now(),
            officer_name=(officer_name or "").strip(),
            medium_reference=(medium_reference or "").strip(),
            package_sha256=package_sha256,
            notes=(notes or "").strip(),
            recorded_by=actor.user,
        )
        delivery.save()
        if requisition.status == Status.EXPORTED:
            transition(
                requisition,
                Status.DELIVERED,
                _("Delivered on medium %(ref)s") % {"ref": delivery.medium_reference},
                manual=False,
            )
    return delivery

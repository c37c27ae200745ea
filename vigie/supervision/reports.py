"""Availability as people read it: over the cameras a user may see, per camera, per
member and for the syndicate, and the monthly report of a member (CSV and PDF)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.core.pdf import render_pdf
from vigie.inventory.models import Camera
from vigie.supervision import availability, services
from vigie.supervision.models import CameraHealth
from vigie.tenancy.models import Member


@dataclass
class AvailabilityReport:
    start: datetime
    end: datetime
    syndicate: availability.Rate
    members: list[tuple[Member, availability.Rate]]
    cameras: list[tuple[Camera, availability.Rate]]
    daily: list[tuple[datetime, availability.Rate]]


def visible_cameras(user: Any, member: Member | None = None) -> list[Camera]:
    """Cameras whose health the user may see (those with a history), optionally of one member."""
    health = CameraHealth.objects.restrict(user, "view")
    if member is not None:
        health = health.filter(camera__member=member)
    ids = health.values_list("camera_id", flat=True)
    return list(
        Camera.objects.unrestricted().filter(pk__in=ids).select_related("member").order_by("name")
    )


def build(
    user: Any, start: datetime, end: datetime, member: Member | None = None, with_daily: bool = True
) -> AvailabilityReport:
    end = min(end, timezone.now())  # the future has no availability yet
    cameras = visible_cameras(user, member)
    history = services.history([c.pk for c in cameras], start, end)
    per_camera = availability.rates(history, start, end)
    groups = availability.by_group(per_camera, {c.pk: c.member_id for c in cameras})
    members = {c.member_id: c.member for c in cameras}
    return AvailabilityReport(
        start,
        end,
        availability.total(per_camera.values()),
        sorted(((members[k], r) for k, r in groups.items()), key=lambda mr: mr[0].name),
        [(c, per_camera[c.pk]) for c in cameras if per_camera[c.pk].existing_s > 0],
        availability.daily(history, start, end) if with_daily and end > start else [],
    )


def percent(rate: availability.Rate) -> str:
    return "—" if rate.rate is None else f"{rate.rate * 100:.2f} %"


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime(year, month, 1, tzinfo=zone)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start, following


def monthly_csv(report: AvailabilityReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            _("camera"),
            _("member"),
            _("availability rate"),
            _("hours down"),
            _("hours supervised"),
            _("outages"),
        ]
    )
    for camera, rate in report.cameras:
        writer.writerow(_csv_row(camera.name, camera.member.name, rate))
    for member, rate in report.members:
        writer.writerow(_csv_row(_("all cameras"), member.name, rate))
    return out.getvalue()


def _csv_row(name: str, member: str, rate: availability.Rate) -> list[str]:
    value = "" if rate.rate is None else f"{rate.rate * 100:.3f}"
    return [
        name,
        member,
        value,
        f"{rate.down_s / 3600:.2f}",
        f"{rate.existing_s / 3600:.2f}",
        str(rate.outages),
    ]


def monthly_pdf(report: AvailabilityReport, member: Member) -> bytes:
    worst = sorted(report.cameras, key=lambda cr: (cr[1].rate or 0, cr[0].name))
    return render_pdf(
        "supervision/monthly_report.html",
        {
            "member": member,
            "report": report,
            "total": percent(report.syndicate),
            "rows": [(c, percent(r), r) for c, r in worst],
            "generated": timezone.localtime(),
        },
    )

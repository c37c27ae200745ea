"""Supervision pages: camera health (list, detail with its history), the
availability dashboard with its charts, and each member's monthly report (CSV, PDF).
Metadata only: no page here shows or links an image."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vigie.core.views import (
    EMPTY,
    Column,
    ObjectDetailView,
    ObjectListView,
    badge,
    may,
    members_allowed,
)
from vigie.inventory.models import RecorderNode, StoragePool
from vigie.supervision import charts, reports, services
from vigie.supervision.filters import CameraHealthFilter
from vigie.supervision.models import CameraHealth, HealthChange, HealthState
from vigie.tenancy.models import Member

STATE_BADGES = {
    HealthState.OK: "ok",
    HealthState.DEGRADED: "warn",
    HealthState.DOWN: "bad",
    HealthState.UNSUPERVISED: "muted",
}


def local(value: datetime | None) -> str:
    return EMPTY if value is None else timezone.localtime(value).strftime("%d/%m/%Y %H:%M:%S")


def state_badge(health: Any) -> Any:
    return badge(health.get_state_display(), STATE_BADGES.get(health.state, "muted"))


def size(h: CameraHealth) -> str:
    width, height = h.recorded_width or h.width, h.recorded_height or h.height
    return f"{width}×{height}" if width and height else EMPTY


def norms(h: CameraHealth) -> Any:
    if h.norms_ok is None:
        return h.norms_detail or EMPTY
    return badge(_("Yes"), "ok") if h.norms_ok else badge(h.norms_detail, "warn")


class CameraHealthListView(ObjectListView):
    model = CameraHealth
    filterset = CameraHealthFilter
    select_related = ("camera__member",)
    default_sort = "camera__name"
    columns = (
        Column("camera", link=True, sort="camera__name"),
        Column("camera.member", label=gettext_lazy("Member"), sort="camera__member__name"),
        Column("state", render=state_badge),
        Column("since", render=lambda h: local(h.since)),
        Column("cause"),
        Column(
            "latency_ms", render=lambda h: EMPTY if h.latency_ms is None else f"{h.latency_ms:.0f}"
        ),
        Column("size", label=gettext_lazy("Picture"), render=size, sort=""),
        Column("norms_ok", render=norms),
    )

    def may_add(self, request: HttpRequest) -> bool:
        return False


class CameraHealthDetailView(ObjectDetailView):
    model = CameraHealth
    select_related = ("camera__member",)
    template_name = "supervision/camerahealth_detail.html"
    fields = (
        Column("camera"),
        Column("camera.member", label=gettext_lazy("Member")),
        Column("state", render=state_badge),
        Column("since", render=lambda h: local(h.since)),
        Column("cause"),
        Column("probed_at", render=lambda h: local(h.probed_at)),
        Column("reachable"),
        Column("rtsp_status"),
        Column("latency_ms"),
        Column("probe_error"),
        Column("codec"),
        Column(
            "size",
            label=gettext_lazy("Picture (camera)"),
            render=lambda h: f"{h.width}×{h.height}" if h.width else EMPTY,
        ),
        Column("fps"),
        Column("recording_state"),
        Column("recorded_codec"),
        Column(
            "recorded",
            label=gettext_lazy("Picture (recorded)"),
            render=lambda h: (
                f"{h.recorded_width}×{h.recorded_height}" if h.recorded_width else EMPTY
            ),
        ),
        Column("recorded_fps"),
        Column("bitrate_kbps"),
        Column("last_keyframe_at", render=lambda h: local(h.last_keyframe_at)),
        Column("gaps_last_hour"),
        Column("norms_ok", render=norms),
        Column("trouble_since", render=lambda h: local(h.trouble_since)),
        Column("ticket_opened"),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        changes = HealthChange.objects.unrestricted().filter(camera_id=obj.camera_id)
        rows = [
            {"at": local(c.at), "state": state_badge(c), "cause": c.cause or EMPTY}
            for c in changes.order_by("-at", "-pk")[:200]
        ]
        return {"history": rows}


def _period(request: HttpRequest) -> tuple[int, int]:
    today = timezone.localdate()
    raw = request.GET.get("month", "")
    try:
        year, month = (int(p) for p in raw.split("-"))
        if not 2000 <= year <= 2100 or not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        return today.year, today.month
    return year, month


class DashboardView(LoginRequiredMixin, View):
    """Availability of a month (default: this one): the whole, per member, day by day,
    the cameras in each state now, the storage and the recorders."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not may(request.user, CameraHealth, "view"):
            raise PermissionDenied(_("Your roles do not let you see the supervision."))
        year, month = _period(request)
        start, end = reports.month_bounds(year, month)
        report = reports.build(request.user, start, end)
        member_rows = [(m, reports.percent(r), r) for m, r in report.members]
        daily = [(timezone.localtime(d).strftime("%d/%m"), r.rate) for d, r in report.daily]
        pools = StoragePool.objects.restrict(request.user, "view").filter(enabled=True)
        nodes = RecorderNode.objects.restrict(request.user, "view").filter(enabled=True)
        context = {
            "title": _("Supervision"),
            "month": f"{year:04d}-{month:02d}",
            "report": report,
            "total": reports.percent(report.syndicate),
            "members": member_rows,
            "counts": services.state_counts(CameraHealth.objects.restrict(request.user, "view")),
            "member_chart": charts.bars(
                _("Availability per member"), [(m.name, r.rate) for m, r in report.members]
            ),
            "daily_chart": charts.line(_("Availability day by day"), daily),
            "daily": [(d, "—" if v is None else f"{v * 100:.2f} %") for d, v in daily],
            "pools": [
                (
                    p,
                    filesizeformat(p.free_bytes) if p.free_bytes is not None else EMPTY,
                    filesizeformat(p.write_rate_bps) + "/s",
                )
                for p in services.pool_health(pools)
            ],
            "nodes": services.node_health(nodes),
        }
        return render(request, "supervision/dashboard.html", context)


class MonthlyReportView(LoginRequiredMixin, View):
    """A member's availability over a month, per camera: ``.csv`` or ``.pdf``."""

    def get(self, request: HttpRequest, slug: str, year: int, month: int, fmt: str) -> HttpResponse:
        allowed = members_allowed(request.user, CameraHealth, "view")
        member = get_object_or_404(Member.objects.unrestricted(), slug=slug)
        if allowed is not None and member.pk not in allowed:
            raise Http404
        if not 1 <= month <= 12 or fmt not in ("csv", "pdf"):
            raise Http404
        start, end = reports.month_bounds(year, month)
        report = reports.build(request.user, start, end, member, with_daily=False)
        name = f"disponibilite-{member.slug}-{year:04d}-{month:02d}.{fmt}"
        if fmt == "csv":
            response = HttpResponse(
                reports.monthly_csv(report), content_type="text/csv; charset=utf-8"
            )
        else:
            response = HttpResponse(
                reports.monthly_pdf(report, member), content_type="application/pdf"
            )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

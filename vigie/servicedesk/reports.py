"""Monthly activity reports of the service desk (seed 003 §8.2): volumes and types of
tickets, service levels met or missed, mean times; per member or for all one sees.

A ticket belongs to the month in which it was opened (Europe/Paris). Cancelled
tickets are counted in the volumes but not in the service levels. A deadline is met
when its act (intervention, resolution) came at or before it, missed when it came
after or is still missing after it, and pending otherwise. Mean times are business
time (the priority's windows, working days, pauses deducted), in hours.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.servicedesk import services, sla
from vigie.servicedesk.models import Category, Kind, Priority, Status, Ticket


def parse_month(text: str) -> date:
    """'2026-03' → 1 March 2026; ValueError otherwise."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError) as exc:
        raise ValueError(_("Give the month as YYYY-MM.")) from exc


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=sla.PARIS)
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=sla.PARIS)


@dataclass
class Compliance:
    met: int = 0
    missed: int = 0
    pending: int = 0

    def add(self, deadline: datetime | None, done: datetime | None, now: datetime) -> None:
        if deadline is None:
            return
        if done is not None:
            if done <= deadline:
                self.met += 1
            else:
                self.missed += 1
        elif now > deadline:
            self.missed += 1
        else:
            self.pending += 1

    @property
    def rate(self) -> float | None:
        """Share met among the decided ones, in percent (None: none decided)."""
        decided = self.met + self.missed
        return round(100 * self.met / decided, 1) if decided else None

    def as_dict(self) -> dict[str, Any]:
        return {"met": self.met, "missed": self.missed, "pending": self.pending, "rate": self.rate}


@dataclass
class Mean:
    total: timedelta = timedelta(0)
    count: int = 0

    def add(self, value: timedelta) -> None:
        self.total += value
        self.count += 1

    @property
    def hours(self) -> float | None:
        return round(self.total.total_seconds() / 3600 / self.count, 2) if self.count else None


@dataclass
class PriorityLine:
    priority: int
    tickets: int = 0
    intervention: Compliance = field(default_factory=Compliance)
    resolution: Compliance = field(default_factory=Compliance)

    @property
    def label(self) -> str:
        return f"P{self.priority}"


@dataclass
class MonthlyReport:
    month: date
    member: Any  # None: every member the reader sees
    generated_at: datetime
    tickets: int = 0
    automatic: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_priority: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    intervention: Compliance = field(default_factory=Compliance)
    resolution: Compliance = field(default_factory=Compliance)
    lines: list[PriorityLine] = field(default_factory=list)
    mean_first_answer: Mean = field(default_factory=Mean)
    mean_intervention: Mean = field(default_factory=Mean)
    mean_resolution: Mean = field(default_factory=Mean)

    @property
    def title(self) -> str:
        who = str(self.member) if self.member is not None else _("All members")
        return f"{who} — {self.month:%Y-%m}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": f"{self.month:%Y-%m}",
            "member": getattr(self.member, "slug", None),
            "tickets": self.tickets,
            "automatic": self.automatic,
            "by_kind": self.by_kind,
            "by_category": self.by_category,
            "by_priority": self.by_priority,
            "by_status": self.by_status,
            "intervention": self.intervention.as_dict(),
            "resolution": self.resolution.as_dict(),
            "by_priority_sla": {
                line.label: {
                    "tickets": line.tickets,
                    "intervention": line.intervention.as_dict(),
                    "resolution": line.resolution.as_dict(),
                }
                for line in self.lines
            },
            "mean_first_answer_hours": self.mean_first_answer.hours,
            "mean_intervention_hours": self.mean_intervention.hours,
            "mean_resolution_hours": self.mean_resolution.hours,
        }


def tickets_of_month(queryset: QuerySet[Ticket], month: date) -> QuerySet[Ticket]:
    start, end = month_bounds(month)
    return queryset.filter(opened_at__gte=start, opened_at__lt=end)


def monthly_report(
    queryset: QuerySet[Ticket], month: date, member: Any = None, now: datetime | None = None
) -> MonthlyReport:
    """The report over `queryset` (already restricted to the reader) for `month`."""
    now = now or timezone.now()
    rows = tickets_of_month(queryset, month)
    if member is not None:
        rows = rows.filter(member=member)
    report = MonthlyReport(month=month, member=member, generated_at=now)
    kinds: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    priorities: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    lines = {p.value: PriorityLine(p.value) for p in Priority}
    for ticket in rows.select_related("member").order_by("pk"):
        report.tickets += 1
        report.automatic += ticket.automatic
        kinds[ticket.kind] += 1
        categories[ticket.category] += 1
        priorities[f"P{ticket.priority}"] += 1
        statuses[ticket.status] += 1
        lines[ticket.priority].tickets += 1
        if ticket.status != Status.CANCELLED:
            _service_levels(report, lines[ticket.priority], ticket, now)
    report.by_kind = {k.value: kinds[k.value] for k in Kind}
    report.by_category = {c.value: categories[c.value] for c in Category}
    report.by_priority = {f"P{p.value}": priorities[f"P{p.value}"] for p in Priority}
    report.by_status = {s.value: statuses[s.value] for s in Status}
    report.lines = list(lines.values())
    return report


def _service_levels(
    report: MonthlyReport, line: PriorityLine, ticket: Ticket, now: datetime
) -> None:
    intervened = ticket.intervened_at or ticket.resolved_at
    for compliance in (report.intervention, line.intervention):
        compliance.add(ticket.intervention_due, intervened, now)
    for compliance in (report.resolution, line.resolution):
        compliance.add(ticket.resolution_due, ticket.resolved_at, now)
    level = sla.service_level(ticket.impact, ticket.urgency)
    alsace = sla.is_alsace_moselle(ticket.member.departement)
    paused = services.pauses(ticket, now)
    for mean, moment in (
        (report.mean_first_answer, ticket.first_response_at),
        (report.mean_intervention, intervened),
        (report.mean_resolution, ticket.resolved_at),
    ):
        if moment is not None:
            mean.add(
                sla.elapsed_business_time(ticket.opened_at, moment, level.hours, alsace, paused)
            )


CSV_HEADER = [
    "month",
    "member",
    "tickets",
    "automatic",
    *(f"kind_{k.value}" for k in Kind),
    *(f"category_{c.value}" for c in Category),
    *(f"priority_P{p.value}" for p in Priority),
    *(f"status_{s.value}" for s in Status),
    "intervention_met",
    "intervention_missed",
    "intervention_pending",
    "resolution_met",
    "resolution_missed",
    "resolution_pending",
    "mean_first_answer_hours",
    "mean_intervention_hours",
    "mean_resolution_hours",
]


def csv_row(report: MonthlyReport) -> list[Any]:
    data = report.as_dict()
    return [
        data["month"],
        data["member"] or "",
        report.tickets,
        report.automatic,
        *report.by_kind.values(),
        *report.by_category.values(),
        *report.by_priority.values(),
        *report.by_status.values(),
        report.intervention.met,
        report.intervention.missed,
        report.intervention.pending,
        report.resolution.met,
        report.resolution.missed,
        report.resolution.pending,
        "" if report.mean_first_answer.hours is None else report.mean_first_answer.hours,
        "" if report.mean_intervention.hours is None else report.mean_intervention.hours,
        "" if report.mean_resolution.hours is None else report.mean_resolution.hours,
    ]


def to_csv(reports: list[MonthlyReport]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for report in reports:
        writer.writerow(csv_row(report))
    return out.getvalue()


def to_pdf(reports: list[MonthlyReport]) -> bytes:
    from vigie.core.pdf import render_pdf

    return render_pdf(
        "servicedesk/report_pdf.html",
        {"reports": [report_context(r) for r in reports], "now": timezone.localtime()},
    )


def report_context(report: MonthlyReport) -> dict[str, Any]:
    """Labels for the page and the PDF (the data's keys are codes)."""
    return {
        "report": report,
        "kinds": [(label, report.by_kind[value]) for value, label in Kind.choices],
        "categories": [(label, report.by_category[value]) for value, label in Category.choices],
        "statuses": [(label, report.by_status[value]) for value, label in Status.choices],
    }

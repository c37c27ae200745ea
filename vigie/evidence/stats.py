"""The yearly table of the brief (§3): per member and for the syndicate.

Computed from the records (requisitions by outcome and year of receipt, those with a
finished export, review hours by year worked) and merged with the figures entered by
hand for past years (``YearlyStatistics``): a figure from the records wins; where the
records have none, the manual one is shown, and each cell says which it is.
Offences and offences spotted by operators have no record in Vigie yet: manual only.

The functions at the top are pure (tested on synthetic facts); ``gather`` reads the
database through the viewer's reach.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from vigie.core import actors
from vigie.evidence.models import (
    COUNT_FIELDS,
    ExportJob,
    JobStatus,
    Requisition,
    ReviewTime,
    YearlyStatistics,
)

FIELDS: tuple[str, ...] = (*COUNT_FIELDS, "review_hours")
LABELS: dict[str, Any] = {
    "offences": _("Offences"),
    "offences_by_operators": _("Offences spotted by operators"),
    "viewing_requests": _("Viewing requests (police, gendarmerie)"),
    "positive": _("Positive"),
    "negative": _("Negative"),
    "direct": _("Direct"),
    "cancelled": _("Cancelled"),
    "with_export": _("Requisitions with export"),
    "review_hours": _("Review hours"),
}
OUTCOME_FIELDS = ("positive", "negative", "direct", "cancelled")
RECORDS, MANUAL = "records", "manual"
Value = int | Decimal | None
# (member id or None for the syndicate, year)
Key = tuple[int | None, int]


@dataclass(frozen=True)
class RequisitionFact:
    member_id: int
    year: int
    outcome: str
    exported: bool


@dataclass(frozen=True)
class ReviewFact:
    member_id: int
    year: int
    hours: Decimal


@dataclass(frozen=True)
class Cell:
    value: Value
    source: str = ""  # RECORDS, MANUAL or "" (unknown)


@dataclass
class Row:
    year: int
    member_id: int | None
    cells: dict[str, Cell] = field(default_factory=dict)

    def value(self, name: str) -> Value:
        return self.cells[name].value

    @property
    def manual_fields(self) -> list[str]:
        return [f for f in FIELDS if self.cells[f].source == MANUAL]


def tally(
    requisitions: Iterable[RequisitionFact], reviews: Iterable[ReviewFact]
) -> dict[Key, dict[str, Value]]:
    """Figures from the records per (member, year); None where no record says anything."""
    out: dict[Key, dict[str, Value]] = defaultdict(lambda: dict.fromkeys(FIELDS))
    for r in requisitions:
        row = out[(r.member_id, r.year)]
        for name in ("viewing_requests", *OUTCOME_FIELDS, "with_export"):
            row[name] = row[name] or 0
        row["viewing_requests"] = _add(row["viewing_requests"], 1)
        if r.outcome in OUTCOME_FIELDS:
            row[r.outcome] = _add(row[r.outcome], 1)
        if r.exported:
            row["with_export"] = _add(row["with_export"], 1)
    for rv in reviews:
        row = out[(rv.member_id, rv.year)]
        row["review_hours"] = _add(row["review_hours"] or Decimal(0), rv.hours)
    return dict(out)


def _add(a: Value, b: Value) -> Value:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def merge(
    computed: Mapping[str, Value] | None, manual: Mapping[str, Value] | None
) -> dict[str, Cell]:
    """Records first; the manual figure where the records have none."""
    cells = {}
    for name in FIELDS:
        from_records = (computed or {}).get(name)
        by_hand = (manual or {}).get(name)
        if from_records is not None:
            cells[name] = Cell(from_records, RECORDS)
        elif by_hand is not None:
            cells[name] = Cell(by_hand, MANUAL)
        else:
            cells[name] = Cell(None)
    return cells


def syndicate_cells(
    members: Sequence[Mapping[str, Value]],
    members_manual: Sequence[Mapping[str, Value]],
    syndicate_manual: Mapping[str, Value] | None,
) -> dict[str, Cell]:
    """The whole syndicate for one year: the records of every member, else the figure
    entered for the syndicate, else the sum of the members' manual figures."""
    cells = {}
    for name in FIELDS:
        records = _sum(m.get(name) for m in members)
        manual_total = _sum(m.get(name) for m in members_manual)
        by_hand = (syndicate_manual or {}).get(name)
        if records is not None:
            cells[name] = Cell(records, RECORDS)
        elif by_hand is not None:
            cells[name] = Cell(by_hand, MANUAL)
        elif manual_total is not None:
            cells[name] = Cell(manual_total, MANUAL)
        else:
            cells[name] = Cell(None)
    return cells


def _sum(values: Iterable[Value]) -> Value:
    total: Value = None
    for v in values:
        total = _add(total, v)
    return total


def build_rows(
    computed: Mapping[Key, Mapping[str, Value]],
    manual: Mapping[Key, Mapping[str, Value]],
    member_ids: Iterable[int],
    *,
    with_syndicate: bool = True,
) -> list[Row]:
    """Every (member, year) that has records or manual figures, then, per year, the
    syndicate's row (member None)."""
    members = set(member_ids)
    keys = {k for k in (*computed, *manual) if k[0] in members}
    rows = [Row(y, m, merge(computed.get((m, y)), manual.get((m, y)))) for m, y in keys]
    if with_syndicate:
        years = {y for _m, y in keys} | {y for m, y in manual if m is None}
        for year in years:
            cells = syndicate_cells(
                [v for (m, y), v in computed.items() if y == year and m in members],
                [v for (m, y), v in manual.items() if y == year and m in members],
                manual.get((None, year)),
            )
            rows.append(Row(year, None, cells))
    return sorted(rows, key=lambda r: (r.year, r.member_id is not None, r.member_id or 0))


def total(rows: Iterable[Row]) -> dict[str, Value]:
    """Column totals (the brief's "Total" line)."""
    rows = list(rows)
    return {name: _sum(r.value(name) for r in rows) for name in FIELDS}


# --------------------------------------------------------------------------- database


def gather(who: Any) -> tuple[dict[Key, dict[str, Value]], dict[Key, dict[str, Value]]]:
    """(computed, manual) figures over what ``who`` may view."""
    actor = actors.as_actor(who)
    done = ExportJob.objects.unrestricted().filter(
        requisition=OuterRef("pk"), status=JobStatus.DONE
    )
    reqs = (
        Requisition.objects.restrict(actor, "view")
        .annotate(exported=Exists(done))
        .values_list("member_id", "received_on", "outcome", "exported")
    )
    facts = [RequisitionFact(m, d.year, o, bool(e)) for m, d, o, e in reqs]
    reviews = [
        ReviewFact(m, d.year, h)
        for m, d, h in ReviewTime.objects.restrict(actor, "view")
        .filter(requisition__in=Requisition.objects.restrict(actor, "view"))
        .values_list("requisition__member_id", "date", "hours")
    ]
    manual: dict[Key, dict[str, Value]] = {}
    for row in YearlyStatistics.objects.restrict(actor, "view"):
        manual[(row.member_id, row.year)] = {name: getattr(row, name) for name in FIELDS}
    return tally(facts, reviews), manual


def rows_for(who: Any, member_ids: Iterable[int], *, with_syndicate: bool) -> list[Row]:
    computed, manual = gather(who)
    return build_rows(computed, manual, member_ids, with_syndicate=with_syndicate)


def _members_shown(who: Any) -> frozenset[int] | None:
    """Members whose statistics ``who`` may see (None: all, with the syndicate)."""
    actor = actors.as_actor(who)
    if actor is None:
        return frozenset()
    if actor.system:
        return None
    found: set[int] = set()
    for label in ("evidence.requisition", "evidence.yearlystatistics"):
        ids = actor.grants().member_ids(label, "view")
        if ids is None:
            return None
        found |= ids
    return frozenset(found)


@dataclass
class Table:
    """The rows one person asked for, with the names to show them."""

    rows: list[Row]
    names: dict[int | None, str]
    slugs: dict[int | None, str | None]
    syndicate: bool
    year: int | None = None
    member: Any = None
    members: list[Any] = field(default_factory=list)

    @classmethod
    def for_request(cls, who: Any, params: Mapping[str, Any]) -> Table | None:
        """None if ``who`` may see no statistics; ValueError for a bad year or member."""
        from vigie.tenancy.models import Member

        allowed = _members_shown(who)
        if allowed is not None and not allowed:
            return None
        members = Member.objects.unrestricted().order_by("name")
        if allowed is not None:
            members = members.filter(pk__in=allowed)
        year = _year(params.get("year"))
        slug = (params.get("member") or "").strip()
        member = members.filter(slug=slug).first() if slug else None
        if slug and member is None:
            raise ValueError(f"unknown member {slug!r}")
        shown = [member] if member else list(members)
        syndicate = allowed is None and member is None
        rows = rows_for(who, [m.pk for m in shown], with_syndicate=syndicate)
        if year is not None:
            rows = [r for r in rows if r.year == year]
        elif syndicate:
            rows = [r for r in rows if r.member_id is None]
        names: dict[int | None, str] = {m.pk: m.name for m in members}
        names[None] = str(_("Whole syndicate"))
        slugs: dict[int | None, str | None] = {m.pk: m.slug for m in members}
        slugs[None] = None
        return cls(rows, names, slugs, syndicate, year, member, list(members))

    def json(self) -> list[Any]:
        return to_json(self.rows, self.slugs)

    def csv(self) -> str:
        return to_csv(self.rows, self.names)

    @property
    def one_scope(self) -> bool:
        """One row per year: a chart and a total line make sense."""
        years = [r.year for r in self.rows]
        return len(years) == len(set(years))

    def total(self) -> dict[str, Value]:
        return total(self.rows)


def _year(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        year = int(str(raw))
    except ValueError as exc:
        raise ValueError(f"not a year: {raw!r}") from exc
    if not 1990 <= year <= 2100:
        raise ValueError(f"not a year: {raw!r}")
    return year


# --------------------------------------------------------------------------- output


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    return str(value)


def to_csv(rows: Iterable[Row], member_names: Mapping[int | None, str]) -> str:
    """One line per (year, member); ``manual_fields`` names the figures entered by hand."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["year", "member", *FIELDS, "manual_fields"])
    for r in rows:
        writer.writerow(
            [
                r.year,
                member_names.get(r.member_id, ""),
                *(_text(r.value(f)) for f in FIELDS),
                " ".join(r.manual_fields),
            ]
        )
    return out.getvalue()


def to_json(rows: Iterable[Row], member_slugs: Mapping[int | None, str | None]) -> list[Any]:
    return [
        {
            "year": r.year,
            "member": member_slugs.get(r.member_id),
            **{f: r.value(f) for f in FIELDS},
            "sources": {f: r.cells[f].source for f in FIELDS},
        }
        for r in rows
    ]


CHART_SERIES = (
    ("viewing_requests", "#5b7db1"),
    ("positive", "#3e8e5e"),
    ("with_export", "#c07b2c"),
)


def bar_chart(rows: Sequence[Row], *, width: int = 720, height: int = 260) -> SafeString:
    """An inline SVG of grouped bars per year (requests, positive, with export); manual
    figures are hatched lighter. No script: readable without JavaScript."""
    if not rows:
        return SafeString("")
    top = max((int(r.value(n) or 0) for r in rows for n, _c in CHART_SERIES), default=0) or 1
    pad, base = 40, height - 30
    slot = (width - pad) / len(rows)
    bar = max(2.0, slot / (len(CHART_SERIES) + 1))
    parts: list[tuple[Any, ...]] = []
    for i, r in enumerate(rows):
        x0 = pad + i * slot
        for j, (name, colour) in enumerate(CHART_SERIES):
            value = int(r.value(name) or 0)
            h = (base - 10) * value / top
            opacity = "0.5" if r.cells[name].source == MANUAL else "1"
            geometry = (f"{v:.1f}" for v in (x0 + j * bar, base - h, bar - 1, h))
            parts.append((*geometry, colour, opacity, LABELS[name], r.year, value))
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" '
        'fill-opacity="{}"><title>{} {}: {}</title></rect>',
        parts,
    )
    years = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>',
        ((f"{pad + i * slot + slot / 2:.1f}", height - 12, r.year) for i, r in enumerate(rows)),
    )
    legend = format_html_join(
        "",
        '<rect x="{}" y="4" width="10" height="10" fill="{}"/>'
        '<text x="{}" y="13" font-size="11">{}</text>',
        (
            (pad + k * 200, c, pad + k * 200 + 14, LABELS[n])
            for k, (n, c) in enumerate(CHART_SERIES)
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {} {}" '
        'class="chart" aria-label="{}"><text x="4" y="{}" font-size="11">{}</text>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888"/>{}{}{}</svg>',
        width,
        height,
        _("Requisitions per year"),
        28,
        top,
        pad,
        base,
        width,
        base,
        bars,
        years,
        legend,
    )

"""The yearly table: computed exactly on synthetic facts, merged with manual years
(the brief's Antony figures 2008–2020), as CSV and chart."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from vigie.core import actors
from vigie.core.testing import as_system, make_member, make_user
from vigie.evidence import exports, services, stats
from vigie.evidence.models import ExportJob, JobStatus, YearlyStatistics
from vigie.evidence.stats import MANUAL, RECORDS, RequisitionFact, ReviewFact
from vigie.evidence.tests.conftest import ReqWorld, file_one, move

# Seed 002, Antony: offences, by operators, requests, positive, negative, direct,
# cancelled, with export, review hours (None: blank in the source).
ANTONY = {
    2008: (None, None, None, None, None, None, None, 21, None),
    2009: (None, None, None, None, None, None, None, 26, None),
    2010: (None, None, None, None, None, None, None, 53, None),
    2011: (222, 47, 197, 121, 76, None, None, 65, None),
    2012: (270, 110, 186, 89, 97, None, None, 96, None),
    2013: (262, 103, 189, 101, 88, None, None, 119, None),
    2014: (205, 59, 156, 84, 72, None, None, 113, None),
    2015: (239, 88, 181, 88, 89, 4, None, 125, None),
    2016: (230, 45, 205, 96, 96, 13, None, 148, None),
    2017: (256, 40, 233, 114, 91, 28, None, 186, None),
    2018: (291, 52, 254, 115, 85, 28, 26, 215, 650),
    2019: (263, 33, 237, 123, 75, 26, 13, 212, 835),
    2020: (288, 57, 245, 129, 75, 25, 16, 222, 1011),
}


def enter_antony(member: Any) -> None:
    with as_system():
        for year, values in ANTONY.items():
            YearlyStatistics(
                member=member, year=year, **dict(zip(stats.FIELDS, values, strict=True))
            ).save()


def test_tally_exact() -> None:
    facts = [
        RequisitionFact(1, 2024, "positive", True),
        RequisitionFact(1, 2024, "positive", False),
        RequisitionFact(1, 2024, "negative", False),
        RequisitionFact(1, 2024, "", False),  # still under review
        RequisitionFact(1, 2024, "direct", True),
        RequisitionFact(1, 2024, "cancelled", False),
        RequisitionFact(2, 2024, "positive", True),
        RequisitionFact(1, 2025, "negative", False),
    ]
    reviews = [
        ReviewFact(1, 2024, Decimal("2.5")),
        ReviewFact(1, 2024, Decimal("1.25")),
        ReviewFact(2, 2023, Decimal("4")),
    ]
    out = stats.tally(facts, reviews)
    assert out[(1, 2024)] == {
        "offences": None,
        "offences_by_operators": None,
        "viewing_requests": 6,
        "positive": 2,
        "negative": 1,
        "direct": 1,
        "cancelled": 1,
        "with_export": 2,
        "review_hours": Decimal("3.75"),
    }
    assert out[(2, 2024)]["positive"] == 1 and out[(2, 2024)]["review_hours"] is None
    assert out[(2, 2023)]["viewing_requests"] is None
    assert out[(2, 2023)]["review_hours"] == Decimal("4")
    assert out[(1, 2025)]["negative"] == 1 and out[(1, 2025)]["positive"] == 0


def test_records_win_manual_fills_the_rest() -> None:
    cells = stats.merge({"positive": 3, "offences": None}, {"positive": 99, "offences": 12})
    assert cells["positive"] == stats.Cell(3, RECORDS)
    assert cells["offences"] == stats.Cell(12, MANUAL)
    assert cells["negative"] == stats.Cell(None)


def test_syndicate_row_sums_members_then_falls_back() -> None:
    rows = stats.build_rows(
        {(1, 2024): {"positive": 2}, (2, 2024): {"positive": 1}},
        {(1, 2024): {"offences": 10}, (2, 2024): {"offences": 5}, (None, 2010): {"with_export": 7}},
        [1, 2],
    )
    syndicate = {r.year: r for r in rows if r.member_id is None}
    assert syndicate[2024].cells["positive"] == stats.Cell(3, RECORDS)
    assert syndicate[2024].cells["offences"] == stats.Cell(15, MANUAL)
    assert syndicate[2010].cells["with_export"] == stats.Cell(7, MANUAL)
    # A member the viewer may not see counts nowhere.
    only_one = stats.build_rows({(1, 2024): {"positive": 2}, (2, 2024): {"positive": 1}}, {}, [1])
    assert [r.value("positive") for r in only_one if r.member_id is None] == [2]


def test_antony_figures_enterable_and_totalled(db: Any) -> None:
    antony = make_member("antony", name="Antony")
    enter_antony(antony)
    auditor = make_user(role="auditor", all_members=True)
    table = stats.Table.for_request(auditor, {"member": "antony"})
    assert table is not None and table.one_scope
    assert [r.year for r in table.rows] == list(range(2008, 2021))
    totals = table.total()
    assert totals["with_export"] == 1601
    assert totals["review_hours"] == Decimal("2496")
    assert all(
        f == "with_export" or r.cells[f].source in (MANUAL, "")
        for r in table.rows
        for f in stats.FIELDS
    )
    lines = list(csv.reader(io.StringIO(table.csv())))
    assert lines[0][:3] == ["year", "member", "offences"]
    assert lines[-1][:4] == ["2020", "Antony", "288", "57"]
    assert lines[-1][-2] == "1011"
    assert "review_hours" in lines[-1][-1]
    svg = str(stats.bar_chart(table.rows))
    assert svg.startswith("<svg") and svg.count("<rect") >= 13 * 3


def test_records_and_manual_years_together(rw: ReqWorld) -> None:
    with as_system():
        YearlyStatistics(member=rw.a, year=2025, offences=40, positive=99).save()
    move(file_one(rw.a, [rw.cam_a], received_on=date(2025, 5, 1)), "under_review", "positive")
    move(file_one(rw.a, [rw.cam_a], received_on=date(2025, 6, 1), procedure_number="P2"), "direct")
    neg = move(
        file_one(rw.a, [rw.cam_a], received_on=date(2025, 7, 1), procedure_number="P3"),
        "under_review",
        "negative",
    )
    move(file_one(rw.b, [rw.cam_b], received_on=date(2025, 7, 1)), "cancelled")
    with actors.acting_as(rw.operator_a):
        services.log_review_time(neg, hours="3.5", on=date(2025, 7, 2))
        services.log_review_time(neg, hours="1", on=date(2025, 7, 3))
    with as_system():
        job = ExportJob(requisition=neg)
        job.save()
        ExportJob.objects.unrestricted().filter(pk=job.pk).update(status=JobStatus.DONE)
    table = stats.Table.for_request(rw.auditor, {"year": "2025"})
    assert table is not None
    rows = {r.member_id: r for r in table.rows}
    a = rows[rw.a.pk]
    assert a.cells["positive"] == stats.Cell(1, RECORDS)  # the records win over 99
    assert a.cells["offences"] == stats.Cell(40, MANUAL)
    assert (a.value("viewing_requests"), a.value("direct"), a.value("negative")) == (3, 1, 1)
    assert a.value("with_export") == 1 and a.value("review_hours") == Decimal("4.5")
    whole = rows[None]
    assert (whole.value("viewing_requests"), whole.value("cancelled")) == (4, 1)
    # A town viewer sees their own town only, and no syndicate row.
    mine = stats.Table.for_request(rw.viewer_a, {"year": "2025"})
    assert mine is not None and [r.member_id for r in mine.rows] == [rw.a.pk]
    assert stats.Table.for_request(rw.technician_a, {}) is None
    assert exports  # the module is importable alongside

"""Model-level isolation of every evidence model (three cases each) and the role table."""

from __future__ import annotations

from typing import Any

import pytest

from vigie.core import actors
from vigie.core.testing import IsolationCases, as_system, make_camera, make_member, make_user
from vigie.evidence import services
from vigie.evidence.models import (
    Delivery,
    ExportJob,
    Requisition,
    RequisitionRange,
    ReviewTime,
    YearlyStatistics,
)
from vigie.evidence.tests.conftest import file_one, move


def _req(member: Any, *statuses: str) -> Requisition:
    return move(file_one(member, [make_camera(member, retention_days=15)]), *statuses)


class TestRequisitionIsolation(IsolationCases):
    model = Requisition

    def make(self, member: Any) -> Any:
        return _req(member)


class TestRequisitionRangeIsolation(IsolationCases):
    model = RequisitionRange

    def make(self, member: Any) -> Any:
        return _req(member).ranges.get()


class TestReviewTimeIsolation(IsolationCases):
    model = ReviewTime
    viewer_role = "csu_operator"

    def make(self, member: Any) -> Any:
        with as_system():
            return services.log_review_time(_req(member), hours=1, operator=make_user())


class TestExportJobIsolation(IsolationCases):
    model = ExportJob
    viewer_role = "csu_operator"

    def make(self, member: Any) -> Any:
        with as_system():
            job = ExportJob(requisition=_req(member, "under_review", "positive"))
            job.save()
        return job


class TestDeliveryIsolation(IsolationCases):
    model = Delivery

    def make(self, member: Any) -> Any:
        req = _req(member, "under_review", "positive")
        with as_system():
            req = services.transition(req, "exported", "made", manual=False)
            return services.record_delivery(req, officer_name="X", medium_reference="DVD-1")


class TestYearlyStatisticsIsolation(IsolationCases):
    model = YearlyStatistics

    def make(self, member: Any) -> Any:
        with as_system():
            row = YearlyStatistics(member=member, year=2019, with_export=212)
            row.save()
        return row


@pytest.mark.parametrize(
    ("role", "label", "actions"),
    [
        ("csu_operator", "requisition", {"view", "add", "change"}),
        ("csu_operator", "exportjob", {"view", "add", "change"}),
        ("judicial_officer", "requisition", {"view", "add"}),
        ("judicial_officer", "reviewtime", set()),
        ("judicial_officer", "exportjob", set()),
        ("town_viewer", "requisition", {"view"}),
        ("town_viewer", "exportjob", set()),
        ("auditor", "exportjob", {"view"}),
        ("auditor", "yearlystatistics", {"view"}),
        ("technician", "requisition", set()),
        ("technician", "yearlystatistics", set()),
        ("syndicate_admin", "yearlystatistics", {"view", "add", "change", "delete"}),
    ],
)
def test_role_table(db: Any, role: str, label: str, actions: set[str]) -> None:
    member = make_member()
    user = make_user(role=role, members=[member])
    grants = actors.person(user).grants()
    found = {
        a for a in ("view", "add", "change", "delete") if grants.for_action(f"evidence.{label}", a)
    }
    assert found == actions


def test_syndicate_figures_only_for_all_members(db: Any) -> None:
    with as_system():
        YearlyStatistics(member=None, year=2020, with_export=222).save()
    town = make_user(role="town_viewer", members=[make_member()])
    auditor = make_user(role="auditor", all_members=True)
    assert not YearlyStatistics.objects.restrict(town, "view").exists()
    assert YearlyStatistics.objects.restrict(auditor, "view").count() == 1

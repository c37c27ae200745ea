"""The pure decisions of habilitations.py, as tables."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from vigie.tenancy.habilitations import (
    ApprovalFact,
    DelegationFact,
    DesignationFact,
    HabilitationScope,
    viewable_members,
)

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2026, 11, 24)
ALL = frozenset({"view_live", "view_playback", "export"})


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """November 2026: the 23rd is a Monday."""
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


WEEKNIGHTS = DelegationFact(1, ALL, frozenset({1, 2, 3, 4, 5}), time(18), time(8))
WEEKEND = DelegationFact(1, ALL, frozenset({6, 7}), time(0), time(0))
OFFICE = DelegationFact(1, frozenset({"view_live"}), frozenset({1, 2, 3, 4, 5}), time(8), time(18))


@pytest.mark.parametrize(
    ("fact", "when", "flag", "expected"),
    [
        (OFFICE, at(24, 10), "view_live", True),
        (OFFICE, at(24, 10), "view_playback", False),  # live only
        (OFFICE, at(24, 8), "view_live", True),  # start included
        (OFFICE, at(24, 18), "view_live", False),  # end excluded
        (OFFICE, at(24, 7, 59), "view_live", False),
        (OFFICE, at(28, 10), "view_live", False),  # a Saturday
        (WEEKNIGHTS, at(24, 22), "view_live", True),
        (WEEKNIGHTS, at(24, 3), "view_live", True),  # Tuesday 3 am: Monday's night
        (WEEKNIGHTS, at(23, 3), "view_live", False),  # Monday 3 am: Sunday is not listed
        (WEEKNIGHTS, at(28, 3), "view_live", True),  # Saturday 3 am: Friday's night
        (WEEKNIGHTS, at(28, 22), "view_live", False),  # Saturday evening
        (WEEKNIGHTS, at(24, 12), "view_live", False),
        (WEEKNIGHTS, at(24, 8), "view_live", False),  # end excluded
        (WEEKEND, at(29, 23, 59), "export", True),  # Sunday, whole day
        (WEEKEND, at(30, 0, 0), "export", False),  # Monday
    ],
)
def test_delegation_windows(
    fact: DelegationFact, when: datetime, flag: str, expected: bool
) -> None:
    assert fact.allows(flag, when) is expected


@pytest.mark.parametrize(
    ("fact", "flag", "day", "expected"),
    [
        (DesignationFact(1, ALL, date(2026, 1, 1), None, False), "view_live", DAY, True),
        (DesignationFact(1, ALL, date(2026, 1, 1), DAY, False), "view_live", DAY, True),
        (
            DesignationFact(1, ALL, date(2026, 1, 1), date(2026, 11, 23), False),
            "view_live",
            DAY,
            False,
        ),  # ended yesterday
        (DesignationFact(1, ALL, date(2026, 11, 25), None, False), "view_live", DAY, False),
        (DesignationFact(1, ALL, date(2026, 1, 1), None, True), "view_live", DAY, False),
        (
            DesignationFact(1, frozenset({"view_live"}), date(2026, 1, 1), None, False),
            "export",
            DAY,
            False,
        ),
    ],
)
def test_designations(fact: DesignationFact, flag: str, day: date, expected: bool) -> None:
    assert fact.allows(flag, day) is expected


VALID_92 = ApprovalFact("92", date(2022, 1, 1), date(2027, 1, 1), False, False)


@pytest.mark.parametrize(
    ("approvals", "needs", "departements", "expected"),
    [
        ([VALID_92], True, {1: "92", 2: "92"}, {1, 2}),
        ([], True, {1: "92", 2: "92"}, set()),
        ([], False, {1: "92", 2: "92"}, {1, 2}),  # a police officer needs none
        ([VALID_92], True, {1: "92", 2: "94"}, {1}),  # valid in one département
        ([VALID_92], True, {1: "", 2: "94"}, {1}),  # unknown département: any approval
        (
            [ApprovalFact("92", date(2022, 1, 1), date(2027, 1, 1), True, False)],
            True,
            {1: "92", 2: "92"},
            set(),
        ),  # suspended
        (
            [ApprovalFact("92", date(2021, 1, 1), date(2026, 11, 23), False, False)],
            True,
            {1: "92", 2: "92"},
            set(),
        ),  # expired yesterday
        (
            [ApprovalFact("92", date(2022, 1, 1), date(2027, 1, 1), False, True)],
            True,
            {1: "92", 2: "92"},
            set(),
        ),  # withdrawn
    ],
)
def test_viewable_members(
    approvals: list[ApprovalFact], needs: bool, departements: dict[int, str], expected: set[int]
) -> None:
    designations = [
        DesignationFact(1, ALL, date(2026, 1, 1), None, False),
        DesignationFact(2, ALL, date(2026, 1, 1), None, False),
    ]
    found = viewable_members(
        flag="view_live",
        day=DAY,
        designations=designations,
        needs_approval=needs,
        approvals=approvals,
        member_departements=departements,
    )
    assert found == expected


def test_scope_narrows_grants_and_applies_delegation_to_operators() -> None:
    scope = HabilitationScope(
        viewable={"view_live": frozenset({1, 2}), "view_playback": frozenset({1})},
        delegating={"view_live": frozenset({2}), "view_playback": frozenset()},
    )
    assert scope.narrow(None, "view_live", operator=False) == {1, 2}
    assert scope.narrow(frozenset({2, 3}), "view_live", operator=False) == {2}
    assert scope.narrow(None, "view_live", operator=True) == {2}
    assert scope.narrow(None, "view_playback", operator=True) == set()
    assert scope.narrow(None, "lift_mask", operator=False) == {1}  # needs playback
    assert scope.narrow(None, "export", operator=False) == set()

"""The pure disk-pressure decision, case by case (no database, no disk)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigie.recording.pressure import (
    DiskSpace,
    bytes_needed,
    check_min_days,
    check_min_free_percent,
    decide_pressure,
)
from vigie.recording.retention import HoldSpan, SegmentSpan, is_held

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
S = timedelta(seconds=1)


def seg(
    id: int, days_ago: float, size: int = 30, member: int = 1, camera: int = 1, closed=True
) -> SegmentSpan:
    """A one-minute segment ending ``days_ago`` days before NOW."""
    end = NOW - timedelta(days=days_ago)
    return SegmentSpan(
        id=id,
        camera_id=camera,
        member_id=member,
        start=end - timedelta(minutes=1),
        end=end if closed else None,
        bytes=size,
        closed=closed,
    )


def hold(from_days: float, to_days: float, camera: int = 1) -> HoldSpan:
    return HoldSpan(
        camera_id=camera, start=NOW - timedelta(days=from_days), end=NOW - timedelta(days=to_days)
    )


# A 1000-byte pool that must keep 10 % (100 bytes) free.
TOTAL = 1000

# name, free bytes, segments, holds, member minimums, chosen ids, shortfall, nothing deletable
CASES = [
    ("enough space: nothing goes", 100, [seg(1, 20), seg(2, 10)], [], {}, [], 0, False),
    ("more than enough", 900, [seg(1, 20)], [], {}, [], 0, False),
    (
        "oldest first until enough",
        50,
        [seg(3, 5), seg(1, 20), seg(2, 10)],
        [],
        {},
        [1, 2],
        0,
        False,
    ),
    ("exactly enough with one", 70, [seg(1, 20), seg(2, 10)], [], {}, [1], 0, False),
    ("held oldest is skipped", 70, [seg(1, 20), seg(2, 10)], [hold(21, 19)], {}, [2], 0, False),
    (
        "everything held: nothing may go",
        0,
        [seg(1, 20), seg(2, 10)],
        [hold(30, 0)],
        {},
        [],
        100,
        True,
    ),
    (
        "hold on another camera does not protect",
        70,
        [seg(1, 20, camera=1)],
        [hold(30, 0, camera=2)],
        {},
        [1],
        0,
        False,
    ),
    (
        "not enough deletable: delete it all, still short",
        0,
        [seg(1, 20), seg(2, 10)],
        [],
        {},
        [1, 2],
        40,
        False,
    ),
    ("open segment never chosen", 0, [seg(1, 20, closed=False)], [], {}, [], 100, True),
    (
        "member minimum protects young footage",
        50,
        [seg(1, 3, member=1), seg(2, 5, member=2), seg(3, 10, member=1)],
        [],
        {1: 7},
        [3, 2],
        0,
        False,
    ),
    (
        "footage exactly at the member minimum may go",
        70,
        [seg(1, 7, member=1)],
        [],
        {1: 7},
        [1],
        0,
        False,
    ),
    (
        "one second younger than the minimum stays",
        70,
        [SegmentSpan(1, 1, NOW - 7 * DAY, NOW - 7 * DAY + S, 30, True, 1)],
        [],
        {1: 7},
        [],
        30,
        True,
    ),
    (
        "minimum 30 days: a full month is protected",
        0,
        [seg(1, 29), seg(2, 1)],
        [],
        {1: 30},
        [],
        100,
        True,
    ),
    (
        "same start: lower id first",
        70,
        [seg(2, 10), seg(1, 10)],
        [],
        {},
        [1],
        0,
        False,
    ),
]


@pytest.mark.parametrize(
    ("free", "segments", "holds", "minimums", "chosen", "shortfall", "nothing"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_decide_pressure(free, segments, holds, minimums, chosen, shortfall, nothing):
    decision = decide_pressure(NOW, DiskSpace(TOTAL, free), 10, segments, holds, minimums)
    assert [s.id for s in decision.chosen] == chosen
    assert decision.shortfall_bytes == shortfall
    assert decision.nothing_deletable is nothing
    assert decision.stop_writing is (shortfall > 0)
    assert decision.freed_bytes == sum(s.bytes for s in decision.chosen)
    assert not any(is_held(s, holds) for s in decision.chosen)


def test_counts_what_it_protects():
    segments = [seg(1, 20), seg(2, 2, member=2), seg(3, 15)]
    decision = decide_pressure(NOW, DiskSpace(TOTAL, 0), 10, segments, [hold(16, 14)], {2: 5})
    assert decision.protected_held == 1
    assert decision.protected_young == 1
    assert [s.id for s in decision.chosen] == [1]


def test_default_minimum_for_members_without_policy():
    segments = [seg(1, 3, member=9), seg(2, 10, member=9)]
    decision = decide_pressure(NOW, DiskSpace(TOTAL, 0), 10, segments, default_min_days=5)
    assert [s.id for s in decision.chosen] == [2]


@pytest.mark.parametrize(
    ("total", "free", "percent", "needed"),
    [
        (1000, 100, 10, 0),
        (1000, 99, 10, 1),
        (1000, 0, 0, 0),
        (1001, 0, 10, 101),  # rounded up: never a byte short
        (1000, 1000, 90, 0),
        (0, 0, 10, 0),
    ],
)
def test_bytes_needed(total, free, percent, needed):
    assert bytes_needed(DiskSpace(total, free), percent) == needed


@pytest.mark.parametrize("percent", [-1, 91, 100, 10.5, True])
def test_threshold_outside_bounds_is_refused(percent):
    with pytest.raises(ValueError):
        check_min_free_percent(percent)


@pytest.mark.parametrize("days", [-1, 31, 2.5, False])
def test_member_minimum_outside_bounds_is_refused(days):
    with pytest.raises(ValueError):
        check_min_days(days)
    with pytest.raises(ValueError):
        decide_pressure(NOW, DiskSpace(TOTAL, 0), 10, [seg(1, 20)], [], {1: days})

"""The pure retention decision, case by case (no database, no files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigie.recording.retention import (
    HoldSpan,
    RetentionError,
    SegmentSpan,
    check_retention_days,
    decide_retention,
    overlaps,
    retention_cutoff,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
S = timedelta(seconds=1)
MIN = timedelta(minutes=1)


def seg(
    id: int,
    end_ago: timedelta | None,
    length: timedelta = MIN,
    camera: int = 1,
    closed: bool = True,
    start_ago: timedelta | None = None,
) -> SegmentSpan:
    """A segment ending ``end_ago`` before NOW (None: still open)."""
    if end_ago is None:
        start = NOW - (start_ago or 40 * DAY)
        return SegmentSpan(id=id, camera_id=camera, start=start, end=None, closed=False, bytes=10)
    end = NOW - end_ago
    return SegmentSpan(
        id=id, camera_id=camera, start=end - length, end=end, closed=closed, bytes=10
    )


def hold(start_ago: timedelta, end_ago: timedelta, camera: int = 1) -> HoldSpan:
    return HoldSpan(camera_id=camera, start=NOW - start_ago, end=NOW - end_ago)


# name, retention days, segments, holds, expected expired ids, expected held ids
CASES = [
    ("nothing recorded", 14, [], [], [], []),
    ("young footage stays", 14, [seg(1, 1 * DAY), seg(2, 13 * DAY)], [], [], []),
    ("old footage goes, oldest first", 14, [seg(1, 15 * DAY), seg(2, 30 * DAY)], [], [2, 1], []),
    ("last image exactly N days old: goes", 14, [seg(1, 14 * DAY)], [], [1], []),
    ("one second short of N days: stays", 14, [seg(1, 14 * DAY - S)], [], [], []),
    (
        "straddling the limit: kept whole",
        14,
        [seg(1, 14 * DAY - 30 * S, length=MIN)],
        [],
        [],
        [],
    ),
    ("1 day retention", 1, [seg(1, DAY), seg(2, DAY - S)], [], [1], []),
    ("30 day retention", 30, [seg(1, 30 * DAY), seg(2, 29 * DAY)], [], [1], []),
    ("open segment never deleted", 1, [seg(1, None)], [], [], []),
    (
        "closed flag false with an end: still open, never deleted",
        1,
        [seg(1, 10 * DAY, closed=False)],
        [],
        [],
        [],
    ),
    (
        "hold covering old footage keeps it",
        7,
        [seg(1, 10 * DAY), seg(2, 20 * DAY)],
        [hold(11 * DAY, 9 * DAY)],
        [2],
        [1],
    ),
    (
        "hold placed on footage far older than the retention keeps it",
        7,
        [seg(1, 29 * DAY)],
        [hold(30 * DAY, 28 * DAY)],
        [],
        [1],
    ),
    (
        "hold touching only the first instant keeps the whole segment",
        7,
        [seg(1, 10 * DAY, length=MIN)],
        [hold(10 * DAY + 2 * MIN, 10 * DAY + MIN)],
        [],
        [1],
    ),
    (
        "hold ending one second before the segment: not held",
        7,
        [seg(1, 10 * DAY, length=MIN)],
        [hold(10 * DAY + 2 * MIN, 10 * DAY + MIN + S)],
        [1],
        [],
    ),
    (
        "hold starting at the last instant keeps it",
        7,
        [seg(1, 10 * DAY, length=MIN)],
        [hold(10 * DAY, 9 * DAY)],
        [],
        [1],
    ),
    (
        "hold on another camera does not keep ours",
        7,
        [seg(1, 10 * DAY, camera=1)],
        [hold(11 * DAY, 9 * DAY, camera=2)],
        [1],
        [],
    ),
    (
        "overlapping holds: their union is kept, the rest goes",
        7,
        [seg(1, 20 * DAY), seg(2, 15 * DAY), seg(3, 12 * DAY), seg(4, 9 * DAY)],
        [hold(16 * DAY, 11 * DAY), hold(13 * DAY, 10 * DAY)],
        [1, 4],
        [2, 3],
    ),
    (
        "hold inside a long segment keeps it",
        7,
        [seg(1, 10 * DAY, length=DAY)],
        [hold(10 * DAY + 12 * timedelta(hours=1), 10 * DAY + timedelta(hours=11))],
        [],
        [1],
    ),
    (
        "held but young: neither expired nor counted as held",
        7,
        [seg(1, 2 * DAY)],
        [hold(3 * DAY, DAY)],
        [],
        [],
    ),
    ("released hold: not passed in, retention resumes", 7, [seg(1, 10 * DAY)], [], [1], []),
]


@pytest.mark.parametrize(
    ("days", "segments", "holds", "expired", "held"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_decide_retention(days, segments, holds, expired, held):
    decision = decide_retention(NOW, days, segments, holds)
    assert [s.id for s in decision.expired] == expired
    assert [s.id for s in decision.held] == held
    assert decision.cutoff == NOW - days * DAY


def test_expired_oldest_first_and_bytes():
    segments = [seg(3, 9 * DAY), seg(1, 20 * DAY), seg(2, 10 * DAY)]
    decision = decide_retention(NOW, 7, segments)
    assert [s.id for s in decision.expired] == [1, 2, 3]
    assert decision.expired_bytes == 30


@pytest.mark.parametrize("days", [0, -1, 31, 365, 1.5, "14", True, None])
def test_retention_outside_the_law_is_refused(days):
    with pytest.raises(RetentionError):
        check_retention_days(days)
    with pytest.raises(RetentionError):
        decide_retention(NOW, days, [seg(1, 40 * DAY)])


@pytest.mark.parametrize("days", [1, 7, 14, 15, 30])
def test_retention_within_the_law(days):
    assert check_retention_days(days) == days
    assert retention_cutoff(NOW, days) == NOW - days * DAY


@pytest.mark.parametrize(
    ("segment", "span", "expected"),
    [
        (seg(1, None, start_ago=5 * DAY), hold(10 * DAY, 6 * DAY), False),
        (seg(1, None, start_ago=5 * DAY), hold(10 * DAY, 5 * DAY), True),
        (seg(1, None, start_ago=5 * DAY), hold(4 * DAY, 3 * DAY), True),
        (seg(1, DAY), hold(3 * DAY, 2 * DAY), False),
    ],
    ids=["open, hold before", "open, hold up to its start", "open, hold after", "before"],
)
def test_overlaps(segment, span, expected):
    assert overlaps(segment, span) is expected

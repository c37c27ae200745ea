"""Which recorded footage the law says to destroy, and which a legal hold keeps.

Pure decisions: plain values in, a decision out; no database, no files, no clock (the
caller passes ``now``). ``services.run_retention`` applies them.

The rules (CSI L252-5 and the brief):

- A camera keeps its footage ``retention_days`` days, between 1 and 30; a period
  outside those bounds is refused, never clamped.
- A segment is expired when its *last* image is at least ``retention_days`` old:
  ``end <= now - retention_days``. A segment straddling the limit still holds images
  within the period, so it is kept whole until its end passes the limit.
- A segment still being written (open: not closed, or no end yet) is never deleted.
- A segment overlapping an active legal hold of its camera at all (bounds included) is
  kept whole, however old: a hold placed on footage older than the retention keeps it.
  Released holds are simply not passed in, and normal retention resumes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from vigie.core import legal


class RetentionError(ValueError):
    """A retention period the law does not allow (outside 1–30 days)."""


@dataclass(frozen=True)
class SegmentSpan:
    """One recorded file as the decisions see it."""

    id: int
    camera_id: int
    start: datetime
    end: datetime | None
    bytes: int = 0
    closed: bool = True
    member_id: int | None = None

    @property
    def open(self) -> bool:
        return not self.closed or self.end is None


@dataclass(frozen=True)
class HoldSpan:
    """The period one active legal hold freezes on one camera."""

    camera_id: int
    start: datetime
    end: datetime
    hold_id: int | None = None


@dataclass(frozen=True)
class RetentionDecision:
    cutoff: datetime
    # Expired and free of holds: to destroy, oldest first.
    expired: tuple[SegmentSpan, ...]
    # Expired but overlapping an active hold: kept whole.
    held: tuple[SegmentSpan, ...]

    @property
    def expired_bytes(self) -> int:
        return sum(s.bytes for s in self.expired)


def check_retention_days(days: int) -> int:
    """The period itself, or RetentionError: the law allows 1 to 30 days, nothing else."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise RetentionError(f"retention must be a whole number of days, not {days!r}")
    if not legal.MIN_RETENTION_DAYS <= days <= legal.MAX_RETENTION_DAYS:
        raise RetentionError(
            f"retention of {days} days refused: the law allows "
            f"{legal.MIN_RETENTION_DAYS} to {legal.MAX_RETENTION_DAYS} days"
        )
    return days


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Footage whose last image is at or before this instant has had its time."""
    return now - timedelta(days=check_retention_days(retention_days))


def overlaps(segment: SegmentSpan, hold: HoldSpan) -> bool:
    """Whether the hold touches the segment at all; bounds count (a hold ending at the
    very instant a segment starts still keeps it: when in doubt, keep)."""
    if segment.camera_id != hold.camera_id:
        return False
    if segment.end is None:
        return hold.end >= segment.start
    return segment.start <= hold.end and hold.start <= segment.end


def is_held(segment: SegmentSpan, holds: Iterable[HoldSpan]) -> bool:
    return any(overlaps(segment, hold) for hold in holds)


def holds_by_camera(holds: Iterable[HoldSpan]) -> dict[int, list[HoldSpan]]:
    grouped: dict[int, list[HoldSpan]] = {}
    for hold in holds:
        grouped.setdefault(hold.camera_id, []).append(hold)
    return grouped


def decide_retention(
    now: datetime,
    retention_days: int,
    segments: Iterable[SegmentSpan],
    holds: Sequence[HoldSpan] = (),
) -> RetentionDecision:
    """What to destroy among one camera's ``segments``, given its active ``holds``.

    Segments of other cameras than a hold's are not held by it; pass the segments of
    the camera whose ``retention_days`` this is.
    """
    cutoff = retention_cutoff(now, retention_days)
    by_camera = holds_by_camera(holds)
    expired: list[SegmentSpan] = []
    held: list[SegmentSpan] = []
    for segment in segments:
        if segment.open or segment.end is None or segment.end > cutoff:
            continue
        if is_held(segment, by_camera.get(segment.camera_id, ())):
            held.append(segment)
        else:
            expired.append(segment)
    key = _oldest_first
    return RetentionDecision(
        cutoff=cutoff, expired=tuple(sorted(expired, key=key)), held=tuple(sorted(held, key=key))
    )


def _oldest_first(segment: SegmentSpan) -> tuple[datetime, int]:
    return (segment.start, segment.id)

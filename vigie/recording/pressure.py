"""What to delete when a storage pool runs out of space, or that nothing may be.

Pure decisions: plain values in, a decision out; ``services.relieve_disk_pressure``
measures the disk, applies the decision and raises the alarm.

The rules:

- The pool must keep ``min_free_percent`` of its size free; below that, footage goes,
  oldest first, until enough would be free.
- Never a segment overlapping an active legal hold (Frigate deletes footage marked to
  keep when the disk fills; Milestone stops recording instead, and so do we).
- Never footage younger than its member's minimum (``MemberRecordingPolicy``): a
  segment whose last image is within that many days stays.
- Never a segment still being written.
- If what may go is not enough (or nothing may), the decision says so: the caller
  stops writing on the pool and raises a critical alarm.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from vigie.core import legal
from vigie.recording.retention import HoldSpan, SegmentSpan, holds_by_camera, is_held


@dataclass(frozen=True)
class DiskSpace:
    total_bytes: int
    free_bytes: int


@dataclass(frozen=True)
class PressureDecision:
    # Bytes to free to get back to the threshold (0: the pool is fine).
    needed_bytes: int
    # What to delete, oldest first, and what it frees.
    chosen: tuple[SegmentSpan, ...]
    freed_bytes: int
    # Unheld, closed footage kept because younger than its member's minimum.
    protected_young: int
    # Closed footage kept because held.
    protected_held: int

    @property
    def shortfall_bytes(self) -> int:
        """What would still be missing after deleting everything chosen."""
        return max(0, self.needed_bytes - self.freed_bytes)

    @property
    def under_pressure(self) -> bool:
        return self.needed_bytes > 0

    @property
    def nothing_deletable(self) -> bool:
        return self.needed_bytes > 0 and not self.chosen

    @property
    def stop_writing(self) -> bool:
        """The pool stays below its threshold: stop recording there and raise the alarm."""
        return self.shortfall_bytes > 0


def check_min_free_percent(percent: int) -> int:
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 90:
        raise ValueError(f"minimum free space must be 0 to 90 %, not {percent!r}")
    return percent


def check_min_days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValueError(f"minimum days kept must be a whole number, not {days!r}")
    if not 0 <= days <= legal.MAX_RETENTION_DAYS:
        raise ValueError(f"minimum days kept must be 0 to {legal.MAX_RETENTION_DAYS}, not {days}")
    return days


def bytes_needed(space: DiskSpace, min_free_percent: int) -> int:
    """How many bytes must be freed so that ``min_free_percent`` of the pool is free."""
    target = math.ceil(space.total_bytes * check_min_free_percent(min_free_percent) / 100)
    return max(0, target - space.free_bytes)


def decide_pressure(
    now: datetime,
    space: DiskSpace,
    min_free_percent: int,
    segments: Iterable[SegmentSpan],
    holds: Sequence[HoldSpan] = (),
    min_days_kept: Mapping[int, int] | None = None,
    default_min_days: int = 0,
) -> PressureDecision:
    """Choose the oldest deletable footage of the pool until enough would be free.

    ``min_days_kept`` maps a member id to its minimum; segments of members without an
    entry (or with no member) get ``default_min_days``.
    """
    needed = bytes_needed(space, min_free_percent)
    minimums = {m: check_min_days(d) for m, d in (min_days_kept or {}).items()}
    default = check_min_days(default_min_days)
    by_camera = holds_by_camera(holds)
    candidates: list[SegmentSpan] = []
    young = held = 0
    for segment in segments:
        if segment.open or segment.end is None:
            continue
        if is_held(segment, by_camera.get(segment.camera_id, ())):
            held += 1
            continue
        days = minimums.get(segment.member_id, default) if segment.member_id else default
        if segment.end > now - timedelta(days=days):
            young += 1
            continue
        candidates.append(segment)
    chosen: list[SegmentSpan] = []
    freed = 0
    if needed:
        for segment in sorted(candidates, key=lambda s: (s.start, s.id)):
            if freed >= needed:
                break
            chosen.append(segment)
            freed += max(0, segment.bytes)
    return PressureDecision(
        needed_bytes=needed,
        chosen=tuple(chosen),
        freed_bytes=freed,
        protected_young=young,
        protected_held=held,
    )

"""Availability rates from the state history. Pure: the callers read the history.

A camera's history is its state changes in time order; each state lasts until the
next change (or the end of the period). A camera **exists** from its first change
on, except while "not supervised" (disabled, decommissioned): a camera added during
the period counts from its first change, one removed counts until it was removed.
It is **up** while OK or degraded (its images exist), down otherwise. The rate of a
camera, a member or the syndicate is time-weighted: up-time ÷ existing-time, summed
over its cameras (so a camera that existed half the period weighs half).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from vigie.supervision.models import UP_STATES, HealthState


@dataclass(frozen=True)
class Change:
    at: datetime
    state: str


@dataclass(frozen=True)
class Rate:
    up_s: float = 0.0
    existing_s: float = 0.0
    outages: int = 0  # times it went down during the period

    @property
    def rate(self) -> float | None:
        return self.up_s / self.existing_s if self.existing_s > 0 else None

    @property
    def down_s(self) -> float:
        return self.existing_s - self.up_s

    def __add__(self, other: Rate) -> Rate:
        return Rate(
            self.up_s + other.up_s,
            self.existing_s + other.existing_s,
            self.outages + other.outages,
        )


def camera_rate(changes: Sequence[Change], start: datetime, end: datetime) -> Rate:
    """One camera over [start, end): ``changes`` in time order, including the last one
    before ``start`` (the state the period opens in)."""
    up = existing = 0.0
    outages = 0
    previous_state = ""
    for index, change in enumerate(changes):
        following = changes[index + 1].at if index + 1 < len(changes) else end
        begin, finish = max(change.at, start), min(following, end)
        if change.state == HealthState.DOWN and previous_state != HealthState.DOWN:
            outages += start <= change.at < end
        previous_state = change.state
        if finish <= begin or change.state == HealthState.UNSUPERVISED:
            continue
        seconds = (finish - begin).total_seconds()
        existing += seconds
        if change.state in UP_STATES:
            up += seconds
    return Rate(up, existing, outages)


def rates(
    history: Mapping[int, Sequence[Change]], start: datetime, end: datetime
) -> dict[int, Rate]:
    """Each camera's rate (keyed as ``history``)."""
    return {camera: camera_rate(changes, start, end) for camera, changes in history.items()}


def total(parts: Iterable[Rate]) -> Rate:
    """Cameras together (a member, the syndicate): time-weighted."""
    result = Rate()
    for part in parts:
        result = result + part
    return result


def by_group(per_camera: Mapping[int, Rate], group_of: Mapping[int, int]) -> dict[int, Rate]:
    """Rates per group (a member) from per-camera rates and each camera's group."""
    groups: dict[int, Rate] = {}
    for camera, rate in per_camera.items():
        key = group_of[camera]
        groups[key] = groups.get(key, Rate()) + rate
    return groups


def days(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into days (the last one may be shorter), for daily series."""
    out, current = [], start
    while current < end:
        following = min(current + timedelta(days=1), end)
        out.append((current, following))
        current = following
    return out


def daily(
    history: Mapping[int, Sequence[Change]], start: datetime, end: datetime
) -> list[tuple[datetime, Rate]]:
    """The rate of all these cameras together, day by day."""
    return [(a, total(rates(history, a, b).values())) for a, b in days(start, end)]

"""A naive minute-by-minute business clock: the reference the engine is checked
against (tests) and the baseline of bench/sla.py. Starts must fall on whole minutes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from vigie.servicedesk.sla import PARIS, BusinessHours, Pause, public_holidays

MINUTE = timedelta(minutes=1)


def _running(moment: datetime, hours: BusinessHours, alsace_moselle: bool, pauses) -> bool:
    local = moment.astimezone(PARIS)
    if local.weekday() >= 5 or local.date() in public_holidays(local.year, alsace_moselle):
        return False
    wall = local.time()
    if not any(opens <= wall < closes for opens, closes in hours.windows):
        return False
    return not any(begin <= moment < end for begin, end in pauses)


def naive_add(
    start: datetime,
    duration: timedelta,
    hours: BusinessHours,
    alsace_moselle: bool = False,
    pauses: Sequence[Pause] = (),
) -> datetime:
    moment = start.astimezone(UTC)
    left = duration
    if not left:
        while not _running(moment, hours, alsace_moselle, pauses):
            moment += MINUTE
        return moment.astimezone(PARIS)
    while left > timedelta(0):
        if _running(moment, hours, alsace_moselle, pauses):
            left -= MINUTE
        moment += MINUTE
    return moment.astimezone(PARIS)

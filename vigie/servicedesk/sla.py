"""Service levels of the service desk: priorities, business calendars, deadlines.

Pure functions, no database (docs/servicedesk.md). The rules are the convention's
§6.5 (seed 003): priority from impact × urgency, per priority daily windows in which
the delays run, Monday to Friday, excluding French public holidays (with Alsace–
Moselle's two extra days where the member is there), and the clock stops while the
ticket waits for the member.

The engine maps every instant to a *business position*: the number of microseconds
of window time between a fixed epoch and that instant, counted on one calendar and
one set of working days. A delay is a difference of positions, and a deadline is the
earliest instant whose position is the start's plus the delay, so adding three
working days is a couple of divisions and list look-ups, never a walk over minutes.
Windows are local wall-clock times in Europe/Paris; France changes its clocks on a
Sunday night, outside every window, so window time on a working day is real time.
"""

from __future__ import annotations

import enum
import functools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_package

PARIS = ZoneInfo("Europe/Paris")
MICRO = 1_000_000
DAY_MICRO = 86_400 * MICRO

# Départements with the local law of Alsace–Moselle: Good Friday and 26 December are
# public holidays there. The `holidays` package names the subdivisions "57"
# (Moselle) and "6AE" (Collectivité européenne d'Alsace: Bas-Rhin 67, Haut-Rhin 68).
ALSACE_MOSELLE_DEPARTEMENTS = frozenset({"57", "67", "68"})
_SUBDIVISION = "57"  # same public holidays as "6AE" (checked in the tests)

FIRST_YEAR = 2000  # the working-day index starts on 1 January of this year


class Impact(enum.IntEnum):
    I1 = 1  # total outage of a service for all its users, or a major cybersecurity risk
    I2 = 2  # partial outage or malfunction
    I3 = 3  # minor degradation, service request, a town's own solutions and contracts


class Urgency(enum.IntEnum):
    U1 = 1  # the town's essential services are at stake
    U2 = 2  # standard services, not critical to the town's continuity of service


class Priority(enum.IntEnum):
    P1 = 1  # major incident
    P2 = 2  # sensitive incident
    P3 = 3  # standard incident or service request
    P4 = 4  # not urgent, on a planned appointment


def is_alsace_moselle(departement: str) -> bool:
    """Whether a member's département has Alsace–Moselle's public holidays."""
    return departement.strip() in ALSACE_MOSELLE_DEPARTEMENTS


# ---------------------------------------------------------------- business hours


@dataclass(frozen=True)
class BusinessHours:
    """The daily windows of one service level, in local wall-clock time."""

    name: str
    windows: tuple[tuple[time, time], ...]
    _bounds: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    _day: int = field(init=False, repr=False, compare=False)
    _times: dict[tuple[int, bool], tuple[int, int, int, int]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        bounds = []
        previous_end = -1
        for opens, closes in self.windows:
            start, end = _micro_of(opens), _micro_of(closes)
            if not previous_end <= start < end:
                raise ValueError(f"{self.name}: windows must be increasing and disjoint")
            bounds.append((start, end))
            previous_end = end
        if not bounds:
            raise ValueError(f"{self.name}: no window")
        object.__setattr__(self, "_bounds", tuple(bounds))
        object.__setattr__(self, "_day", sum(end - start for start, end in bounds))

    @property
    def day_length(self) -> timedelta:
        """Window time in one working day: what "1 j." of this service level lasts."""
        return timedelta(microseconds=self._day)

    def within(self, micro: int) -> int:
        """Window microseconds of a working day before the wall-clock instant `micro`."""
        total = 0
        for start, end in self._bounds:
            if micro <= start:
                break
            total += (micro if micro < end else end) - start
        return total

    def wall_clock(self, offset: int, *, opening: bool) -> int:
        """The wall-clock instant at `offset` window microseconds into a working day.

        An offset on the boundary between two windows is the end of the first one, or
        with `opening`, the start of the next (the clock is running there)."""
        for start, end in self._bounds:
            length = end - start
            if offset < length or (offset == length and not opening):
                return start + offset
            offset -= length
        return self._bounds[-1][1]

    def clock_time(self, offset: int, opening: bool) -> tuple[int, int, int, int]:
        """`wall_clock` as (hour, minute, second, microsecond), memoised (offsets of
        deadlines are mostly whole minutes: a few hundred values per calendar)."""
        found = self._times.get((offset, opening))
        if found is None:
            seconds, us = divmod(self.wall_clock(offset, opening=opening), MICRO)
            minutes, second = divmod(seconds, 60)
            hour, minute = divmod(minutes, 60)
            found = (hour, minute, second, us)
            if len(self._times) < 100_000:
                self._times[offset, opening] = found
        return found


def _micro_of(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * MICRO + moment.microsecond


def _hours(*spans: str) -> tuple[tuple[time, time], ...]:
    """`_hours("08:30-12:30", "13:30-17:00")`."""
    return tuple(
        (time.fromisoformat(opens), time.fromisoformat(closes))
        for opens, closes in (span.split("-") for span in spans)
    )


P1_HOURS = BusinessHours("P1", _hours("08:00-18:00"))
P2_U1_HOURS = BusinessHours("P2 U1", _hours("08:30-12:30", "13:30-17:00"))
# The convention prints 12:00 for the morning of an U2 × i1 P2, 12:30 for an U1 × i2
# one; we follow the text cell by cell (docs/servicedesk.md).
P2_U2_HOURS = BusinessHours("P2 U2", _hours("08:30-12:00", "13:30-17:00"))
P3_HOURS = BusinessHours("P3/P4", _hours("09:00-12:00", "14:00-16:00"))


# ---------------------------------------------------------------- service levels


@dataclass(frozen=True)
class ServiceLevel:
    """One cell of the convention's impact × urgency table."""

    priority: Priority
    hours: BusinessHours
    intervention: timedelta | None  # None: on appointment, no computed deadline
    resolution: timedelta | None


def _level(
    priority: Priority, hours: BusinessHours, intervention: str, resolution: str
) -> ServiceLevel:
    def delay(text: str) -> timedelta | None:
        if text == "-":
            return None
        if text.endswith("d"):  # "1 j." of the convention: days of window time
            return hours.day_length * int(text[:-1])
        return timedelta(hours=float(text.removesuffix("h")))

    return ServiceLevel(priority, hours, delay(intervention), delay(resolution))


SERVICE_LEVELS: dict[tuple[int, int], ServiceLevel] = {  # (urgency, impact)
    (Urgency.U1, Impact.I1): _level(Priority.P1, P1_HOURS, "0h", "4h"),
    (Urgency.U1, Impact.I2): _level(Priority.P2, P2_U1_HOURS, "4h", "1d"),
    (Urgency.U1, Impact.I3): _level(Priority.P3, P3_HOURS, "1d", "3d"),
    (Urgency.U2, Impact.I1): _level(Priority.P2, P2_U2_HOURS, "4h", "1d"),
    (Urgency.U2, Impact.I2): _level(Priority.P3, P3_HOURS, "1d", "3d"),
    (Urgency.U2, Impact.I3): _level(Priority.P4, P3_HOURS, "-", "-"),
}


def service_level(impact: int, urgency: int) -> ServiceLevel:
    level = SERVICE_LEVELS.get((urgency, impact))  # IntEnum members hash as their ints
    if level is None or isinstance(impact, bool) or isinstance(urgency, bool):
        raise ValueError(f"no service level for impact {impact!r}, urgency {urgency!r}")
    return level


def priority(impact: int, urgency: int) -> Priority:
    """P1–P4 from impact (1–3, i1 the most severe) and urgency (1–2, U1 the most)."""
    return service_level(impact, urgency).priority


# ---------------------------------------------------------------- working days


@functools.lru_cache(maxsize=512)
def public_holidays(year: int, alsace_moselle: bool) -> frozenset[date]:
    """French public holidays of a year, from the `holidays` package.

    Whit Monday is in the list (the package follows the law; a "journée de
    solidarité" is an employer's choice, not a change of the public holiday)."""
    found = holidays_package.country_holidays(
        "FR", subdiv=_SUBDIVISION if alsace_moselle else None, years=year
    )
    return frozenset(found)


def working_days(year: int, alsace_moselle: bool) -> tuple[date, ...]:
    """Monday to Friday of a year, public holidays excluded."""
    off = public_holidays(year, alsace_moselle)
    day, end = date(year, 1, 1), date(year + 1, 1, 1)
    days = []
    while day < end:
        if day.weekday() < 5 and day not in off:
            days.append(day)
        day += timedelta(days=1)
    return tuple(days)


class Workdays:
    """An index of working days from 1 January FIRST_YEAR, extended a year at a time.

    `before(ordinal)` counts the working days strictly before a day, `nth(k)` is the
    ordinal of the k-th one (0-based). Both are list look-ups."""

    def __init__(self, alsace_moselle: bool) -> None:
        self.alsace_moselle = alsace_moselle
        self.base = date(FIRST_YEAR, 1, 1).toordinal()
        self._before: list[int] = []  # per day since base: working days before it
        self._working: bytearray = bytearray()  # per day since base: 1 if working
        self._nth: list[int] = []  # ordinals of the working days, in order
        self._nth_date: list[tuple[int, int, int]] = []  # the same as (year, month, day)
        self._next_year = FIRST_YEAR
        self._lock = threading.Lock()

    def _extend(self) -> None:
        with self._lock:  # readers never see a half-built year: lists only grow
            self._extend_locked()

    def _extend_locked(self) -> None:
        for day in working_days(self._next_year, self.alsace_moselle):
            self._nth_date.append((day.year, day.month, day.day))  # before _nth: see
            self._nth.append(day.toordinal())  # nth_date(), which reads without the lock
        end = date(self._next_year + 1, 1, 1).toordinal()
        count = self._before[-1] + self._working[-1] if self._before else 0
        index = len(self._before)
        nth = self._nth
        for ordinal in range(self.base + index, end):
            working = count < len(nth) and nth[count] == ordinal
            self._working.append(working)  # before _before: day() checks its length
            self._before.append(count)
            count += working
        self._next_year += 1

    def day(self, ordinal: int) -> tuple[int, bool]:
        """(working days before this day, whether it is one)."""
        index = ordinal - self.base
        if index < 0:
            raise ValueError(f"dates before {FIRST_YEAR} are not supported")
        while index >= len(self._before):
            self._extend()
        return self._before[index], bool(self._working[index])

    def nth(self, k: int) -> int:
        while k >= len(self._nth):
            self._extend()
        return self._nth[k]

    def nth_date(self, k: int) -> tuple[int, int, int]:
        try:
            return self._nth_date[k]
        except IndexError:
            while k >= len(self._nth):
                self._extend()
            return self._nth_date[k]


@functools.lru_cache(maxsize=2)
def workdays(alsace_moselle: bool) -> Workdays:
    """The shared working-day index of members in (or out of) Alsace–Moselle."""
    return Workdays(alsace_moselle)


# ---------------------------------------------------------------- business time

Pause = tuple[datetime, datetime]


class _Clock:
    """Business positions on one calendar and one working-day index."""

    __slots__ = ("day_micro", "days", "hours")

    def __init__(self, hours: BusinessHours, days: Workdays) -> None:
        self.hours = hours
        self.days = days
        self.day_micro = hours._day

    def position(self, moment: datetime) -> int:
        if moment.tzinfo is None:
            raise ValueError("business time needs timezone-aware datetimes")
        local = moment.astimezone(PARIS)
        before, working = self.days.day(local.toordinal())
        if not working:
            return before * self.day_micro
        micro = ((local.hour * 60 + local.minute) * 60 + local.second) * MICRO + local.microsecond
        return before * self.day_micro + self.hours.within(micro)

    def moment(self, position: int, *, opening: bool) -> datetime:
        """The earliest instant at `position`; with `opening`, the earliest at which
        the clock runs (the start of a window rather than the end of the previous)."""
        k, offset = divmod(position, self.day_micro)
        if offset == 0 and not opening and k > 0:
            k, offset = k - 1, self.day_micro
        hour, minute, second, us = self.hours.clock_time(offset, opening)
        year, month, day = self.days.nth_date(k)
        return datetime(year, month, day, hour, minute, second, us, tzinfo=PARIS)

    def paused(self, pauses: Iterable[Pause]) -> list[tuple[int, int]]:
        """Pauses as merged, sorted intervals of positions."""
        spans = sorted(
            (self.position(begin), self.position(end)) for begin, end in pauses if end > begin
        )
        merged: list[tuple[int, int]] = []
        for begin, end in spans:
            if merged and begin <= merged[-1][1]:
                if end > merged[-1][1]:
                    merged[-1] = (merged[-1][0], end)
            elif end > begin:
                merged.append((begin, end))
        return merged

    def target(self, origin: int, delay: int, paused: Sequence[tuple[int, int]]) -> int:
        """The position `delay` microseconds of running clock after `origin`."""
        target = origin + delay
        for begin, end in paused:
            if end <= origin:
                continue
            begin = max(begin, origin)
            if begin < target or (not delay and begin == target):
                target += end - begin
            else:
                break
        return target

    def add(self, start: datetime, duration: timedelta, pauses: Sequence[Pause]) -> datetime:
        if duration < timedelta(0):
            raise ValueError("a business delay cannot be negative")
        delay = duration // timedelta(microseconds=1)
        paused = self.paused(pauses) if pauses else ()
        target = self.target(self.position(start), delay, paused)
        return self.moment(target, opening=not delay)

    def elapsed(self, start: datetime, end: datetime, pauses: Sequence[Pause]) -> timedelta:
        origin, finish = self.position(start), self.position(end)
        if finish <= origin:
            return timedelta(0)
        total = finish - origin
        for begin, stop in self.paused(pauses) if pauses else ():
            total -= max(0, min(stop, finish) - max(begin, origin))
        return timedelta(microseconds=total)


_CLOCKS: dict[tuple[int, bool], _Clock] = {}  # by id(hours): hashing windows is slower


def _clock(hours: BusinessHours, days: Workdays | bool) -> _Clock:
    if isinstance(days, Workdays):
        return _Clock(hours, days)
    clock = _CLOCKS.get((id(hours), days))
    if clock is None or clock.hours is not hours:
        clock = _CLOCKS[id(hours), days] = _Clock(hours, workdays(days))
    return clock


def add_business_time(
    start: datetime,
    duration: timedelta,
    hours: BusinessHours,
    days: Workdays | bool = False,
    pauses: Sequence[Pause] = (),
) -> datetime:
    """The deadline `duration` of window time after `start`, in Europe/Paris.

    `days` is a working-day index or whether the member is in Alsace–Moselle.
    `pauses` are (begin, end) intervals in which the clock stops. A deadline falls
    at the end of a window rather than the start of the next; a zero delay gives the
    first instant at or after `start` at which the clock runs ("immediate")."""
    return _clock(hours, days).add(start, duration, pauses)


def elapsed_business_time(
    start: datetime,
    end: datetime,
    hours: BusinessHours,
    days: Workdays | bool = False,
    pauses: Sequence[Pause] = (),
) -> timedelta:
    """Window time between two instants, pauses deducted (zero if `end` <= `start`)."""
    return _clock(hours, days).elapsed(start, end, pauses)


# ---------------------------------------------------------------- tickets


@dataclass(frozen=True)
class TicketFacts:
    """What the deadlines of a ticket depend on."""

    impact: int
    urgency: int
    opened_at: datetime
    alsace_moselle: bool = False
    pauses: tuple[Pause, ...] = ()


@dataclass(frozen=True)
class Deadlines:
    priority: Priority
    intervention: datetime | None
    resolution: datetime | None


_MICROSECOND = timedelta(microseconds=1)


def deadlines(facts: TicketFacts) -> Deadlines:
    """Intervention and resolution deadlines of a ticket (None for a P4)."""
    level = service_level(facts.impact, facts.urgency)
    if level.intervention is None or level.resolution is None:
        return Deadlines(level.priority, None, None)
    clock = _clock(level.hours, facts.alsace_moselle)
    origin = clock.position(facts.opened_at)  # once for both deadlines
    paused = clock.paused(facts.pauses) if facts.pauses else ()
    intervention = level.intervention // _MICROSECOND
    resolution = level.resolution // _MICROSECOND
    return Deadlines(
        level.priority,
        clock.moment(clock.target(origin, intervention, paused), opening=not intervention),
        clock.moment(clock.target(origin, resolution, paused), opening=not resolution),
    )


def breached(deadline: datetime | None, done_at: datetime | None, now: datetime) -> bool:
    """Whether a deadline is missed: done after it, or not done and now past it."""
    if deadline is None:
        return False
    return (done_at if done_at is not None else now) > deadline


P2_NO_ANSWER = timedelta(hours=3)


def no_answer_escalation_at(facts: TicketFacts) -> datetime:
    """When the next level is called if nobody from the team has answered yet.

    P1: at once, from the first opening ("Immédiate, dès 8h00 du lundi au vendredi");
    P2: after 3 h of window time ("Dans les 3 heures"), pauses deducted;
    P3/P4: at the first opening of the next working day ("Le lendemain")."""
    level = service_level(facts.impact, facts.urgency)
    clock = _clock(level.hours, facts.alsace_moselle)
    if level.priority is Priority.P1:
        return clock.add(facts.opened_at, timedelta(0), facts.pauses)
    if level.priority is Priority.P2:
        return clock.add(facts.opened_at, P2_NO_ANSWER, facts.pauses)
    # the working day on which the clock starts, then the next one's opening
    start = clock.position(clock.add(facts.opened_at, timedelta(0), ()))
    return clock.moment((start // clock.day_micro + 1) * clock.day_micro, opening=True)


class Escalation(enum.StrEnum):
    NO_ANSWER = "no_answer"
    INTERVENTION_BREACHED = "intervention_breached"
    RESOLUTION_BREACHED = "resolution_breached"


def escalation_due(
    facts: TicketFacts,
    now: datetime,
    *,
    answered_at: datetime | None = None,
    intervened_at: datetime | None = None,
    resolved_at: datetime | None = None,
) -> tuple[Escalation, ...]:
    """Why the next level must be notified now (empty: it need not be).

    An intervention is also an answer; a breach of either deadline escalates."""
    found: list[Escalation] = []
    answers = [moment for moment in (answered_at, intervened_at) if moment is not None]
    first_answer = min(answers) if answers else None
    due = no_answer_escalation_at(facts)
    if now >= due and (first_answer is None or first_answer > due):
        found.append(Escalation.NO_ANSWER)
    limits = deadlines(facts)
    if breached(limits.intervention, intervened_at or resolved_at, now):
        found.append(Escalation.INTERVENTION_BREACHED)
    if breached(limits.resolution, resolved_at, now):
        found.append(Escalation.RESOLUTION_BREACHED)
    return tuple(found)

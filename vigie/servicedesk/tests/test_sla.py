"""The service-level engine, table by table (docs/servicedesk.md).

Dates are in 2025: Good Friday 18 April, Easter Monday 21 April, Ascension Thursday
29 May, Whit Monday 9 June, 14 July a Monday, 26 December a Friday; clocks go forward
on Sunday 30 March and back on Sunday 26 October. 3 March 2025 is a Monday.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from vigie.servicedesk import sla
from vigie.servicedesk.sla import (
    P1_HOURS,
    P2_U1_HOURS,
    P2_U2_HOURS,
    P3_HOURS,
    PARIS,
    Escalation,
    Priority,
    TicketFacts,
)
from vigie.servicedesk.tests.reference import naive_add


def at(text: str) -> datetime:
    """'2025-03-03 10:00' in Paris wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


H = timedelta(hours=1)

# ------------------------------------------------------------------ priority matrix


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        (1, 1, Priority.P1),
        (2, 1, Priority.P2),
        (3, 1, Priority.P3),
        (1, 2, Priority.P2),
        (2, 2, Priority.P3),
        (3, 2, Priority.P4),
    ],
)
def test_priority_matrix(impact: int, urgency: int, expected: Priority) -> None:
    assert sla.priority(impact, urgency) is expected
    assert sla.priority(sla.Impact(impact), sla.Urgency(urgency)) is expected


@pytest.mark.parametrize(("impact", "urgency"), [(0, 1), (4, 1), (1, 0), (1, 3)])
def test_priority_refuses_unknown_values(impact: int, urgency: int) -> None:
    with pytest.raises(ValueError, match="no service level"):
        sla.priority(impact, urgency)


@pytest.mark.parametrize(
    ("impact", "urgency", "hours", "intervention", "resolution"),
    [
        (1, 1, P1_HOURS, timedelta(0), 4 * H),
        (2, 1, P2_U1_HOURS, 4 * H, 7.5 * H),  # 08:30–12:30 + 13:30–17:00
        (1, 2, P2_U2_HOURS, 4 * H, 7 * H),  # 08:30–12:00 + 13:30–17:00 (convention)
        (3, 1, P3_HOURS, 5 * H, 15 * H),  # 09:00–12:00 + 14:00–16:00
        (2, 2, P3_HOURS, 5 * H, 15 * H),
        (3, 2, P3_HOURS, None, None),
    ],
)
def test_service_levels(impact, urgency, hours, intervention, resolution) -> None:
    level = sla.service_level(impact, urgency)
    assert (level.hours, level.intervention, level.resolution) == (
        hours,
        intervention,
        resolution,
    )


@pytest.mark.parametrize(
    ("hours", "length"),
    [(P1_HOURS, 10 * H), (P2_U1_HOURS, 7.5 * H), (P2_U2_HOURS, 7 * H), (P3_HOURS, 5 * H)],
)
def test_day_length(hours: sla.BusinessHours, length: timedelta) -> None:
    assert hours.day_length == length


# ------------------------------------------------------------------ public holidays


def test_alsace_moselle_has_good_friday_and_26_december_only_there() -> None:
    paris = sla.public_holidays(2025, False)
    moselle = sla.public_holidays(2025, True)
    assert moselle - paris == {date(2025, 4, 18), date(2025, 12, 26)}
    assert paris <= moselle
    import holidays

    alsace = holidays.country_holidays("FR", subdiv="6AE", years=2025)
    assert frozenset(alsace) == moselle


@pytest.mark.parametrize(
    ("departement", "expected"),
    [("57", True), ("67", True), ("68", True), ("75", False), ("95", False), ("", False)],
)
def test_is_alsace_moselle(departement: str, expected: bool) -> None:
    assert sla.is_alsace_moselle(departement) is expected


@pytest.mark.parametrize(
    "holiday",
    [date(2025, 5, 29), date(2025, 6, 9), date(2025, 7, 14), date(2025, 4, 21)],
)
def test_national_holidays_everywhere(holiday: date) -> None:
    # Whit Monday included: the `holidays` package lists it; a "journée de
    # solidarité" worked on it somewhere does not change the convention's calendar.
    assert holiday in sla.public_holidays(2025, False)
    assert holiday in sla.public_holidays(2025, True)


def test_working_days_of_2025() -> None:
    # 261 weekdays; 10 of the 11 national holidays fall on one (1 November is a Saturday)
    assert len(sla.working_days(2025, False)) == 251
    assert len(sla.working_days(2025, True)) == 249
    assert date(2025, 12, 26) in sla.working_days(2025, False)
    assert date(2025, 12, 26) not in sla.working_days(2025, True)


# ------------------------------------------------------------------ deadlines

DEADLINES = [
    # label, impact, urgency, opened (Paris), alsace-moselle, intervention, resolution
    ("P1 mid-window", 1, 1, "2025-03-03 10:00", False, "2025-03-03 10:00", "2025-03-03 14:00"),
    ("P1 before opening", 1, 1, "2025-03-03 07:00", False, "2025-03-03 08:00", "2025-03-03 12:00"),
    ("P1 late afternoon", 1, 1, "2025-03-03 16:00", False, "2025-03-03 16:00", "2025-03-04 10:00"),
    ("P1 at closing", 1, 1, "2025-03-03 18:00", False, "2025-03-04 08:00", "2025-03-04 12:00"),
    ("P1 evening", 1, 1, "2025-03-03 20:00", False, "2025-03-04 08:00", "2025-03-04 12:00"),
    ("P1 Friday evening", 1, 1, "2025-03-07 19:00", False, "2025-03-10 08:00", "2025-03-10 12:00"),
    ("P1 Saturday", 1, 1, "2025-03-08 11:00", False, "2025-03-10 08:00", "2025-03-10 12:00"),
    ("P1 ends at closing", 1, 1, "2025-03-03 14:00", False, "2025-03-03 14:00", "2025-03-03 18:00"),
    ("P2U1 mid-window", 2, 1, "2025-03-03 10:00", False, "2025-03-03 15:00", "2025-03-04 10:00"),
    ("P2U1 before", 2, 1, "2025-03-03 07:00", False, "2025-03-03 12:30", "2025-03-03 17:00"),
    ("P2U1 lunch", 2, 1, "2025-03-03 12:45", False, "2025-03-04 09:00", "2025-03-04 12:30"),
    ("P2U1 evening", 2, 1, "2025-03-03 20:00", False, "2025-03-04 12:30", "2025-03-04 17:00"),
    (
        "P2U1 Friday evening",
        2,
        1,
        "2025-03-07 18:00",
        False,
        "2025-03-10 12:30",
        "2025-03-10 17:00",
    ),
    ("P2U1 Sunday", 2, 1, "2025-03-09 09:00", False, "2025-03-10 12:30", "2025-03-10 17:00"),
    ("P2U1 Friday 15:00", 2, 1, "2025-03-07 15:00", False, "2025-03-10 10:30", "2025-03-10 15:00"),
    ("P2U2 mid-window", 1, 2, "2025-03-03 10:00", False, "2025-03-03 15:30", "2025-03-04 10:00"),
    ("P2U2 before", 1, 2, "2025-03-03 07:00", False, "2025-03-03 14:00", "2025-03-03 17:00"),
    ("P2U2 lunch", 1, 2, "2025-03-03 12:15", False, "2025-03-04 09:00", "2025-03-04 12:00"),
    ("P3 mid-window", 3, 1, "2025-03-03 10:00", False, "2025-03-04 10:00", "2025-03-06 10:00"),
    ("P3 before", 3, 1, "2025-03-03 07:00", False, "2025-03-03 16:00", "2025-03-05 16:00"),
    ("P3 lunch", 2, 2, "2025-03-03 13:00", False, "2025-03-04 12:00", "2025-03-06 12:00"),
    ("P3 evening", 2, 2, "2025-03-03 20:00", False, "2025-03-04 16:00", "2025-03-06 16:00"),
    ("P3 Friday evening", 3, 1, "2025-03-07 17:00", False, "2025-03-10 16:00", "2025-03-12 16:00"),
    ("P3 Saturday", 3, 1, "2025-03-08 10:00", False, "2025-03-10 16:00", "2025-03-12 16:00"),
    ("P3 Thursday 15:00", 3, 1, "2025-03-06 15:00", False, "2025-03-07 15:00", "2025-03-11 15:00"),
    # holidays
    ("P2 over 14 July", 2, 1, "2025-07-11 15:00", False, "2025-07-15 10:30", "2025-07-15 15:00"),
    ("P3 over Ascension", 3, 1, "2025-05-28 10:00", False, "2025-05-30 10:00", "2025-06-03 10:00"),
    (
        "P1 over Whit Monday",
        1,
        1,
        "2025-06-06 16:00",
        False,
        "2025-06-06 16:00",
        "2025-06-10 10:00",
    ),
    ("P1 on Whit Monday", 1, 1, "2025-06-09 09:00", False, "2025-06-10 08:00", "2025-06-10 12:00"),
    ("P2U2 26 Dec Paris", 1, 2, "2025-12-24 14:00", False, "2025-12-26 09:30", "2025-12-26 14:00"),
    ("P2U2 26 Dec Moselle", 1, 2, "2025-12-24 14:00", True, "2025-12-29 09:30", "2025-12-29 14:00"),
    (
        "P1 Good Friday Paris",
        1,
        1,
        "2025-04-17 16:00",
        False,
        "2025-04-17 16:00",
        "2025-04-18 10:00",
    ),
    (
        "P1 Good Friday Moselle",
        1,
        1,
        "2025-04-17 16:00",
        True,
        "2025-04-17 16:00",
        "2025-04-22 10:00",
    ),
    (
        "P3 Good Friday Moselle",
        3,
        1,
        "2025-04-17 10:00",
        True,
        "2025-04-22 10:00",
        "2025-04-24 10:00",
    ),
    (
        "P3 Good Friday Paris",
        3,
        1,
        "2025-04-17 10:00",
        False,
        "2025-04-18 10:00",
        "2025-04-23 10:00",
    ),
    # clock changes (Sunday 30 March, Sunday 26 October)
    ("P1 over spring DST", 1, 1, "2025-03-28 16:00", False, "2025-03-28 16:00", "2025-03-31 10:00"),
    ("P3 over spring DST", 3, 1, "2025-03-28 15:00", False, "2025-03-31 15:00", "2025-04-02 15:00"),
    ("P2 over autumn DST", 2, 1, "2025-10-24 16:00", False, "2025-10-27 11:30", "2025-10-27 16:00"),
    ("P1 DST night", 1, 1, "2025-03-30 02:30", False, "2025-03-31 08:00", "2025-03-31 12:00"),
    ("P4 no deadline", 3, 2, "2025-03-03 10:00", False, None, None),
]


@pytest.mark.parametrize(
    ("impact", "urgency", "opened", "alsace", "intervention", "resolution"),
    [row[1:] for row in DEADLINES],
    ids=[row[0] for row in DEADLINES],
)
def test_deadlines(impact, urgency, opened, alsace, intervention, resolution) -> None:
    found = sla.deadlines(TicketFacts(impact, urgency, at(opened), alsace_moselle=alsace))
    assert found.priority is sla.priority(impact, urgency)
    assert found.intervention == (at(intervention) if intervention else None)
    assert found.resolution == (at(resolution) if resolution else None)
    for moment in (found.intervention, found.resolution):
        if moment is not None:
            assert moment.tzinfo is PARIS


def test_dst_offsets_are_the_wall_clock_ones() -> None:
    opened = datetime(2025, 3, 28, 15, 0, tzinfo=UTC)  # 16:00 CET
    found = sla.deadlines(TicketFacts(1, 1, opened))
    assert found.resolution == datetime(2025, 3, 31, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert found.resolution is not None and found.resolution.utcoffset() == 2 * H
    autumn = sla.deadlines(TicketFacts(3, 1, at("2025-10-24 15:00")))
    assert autumn.intervention == datetime(2025, 10, 27, 14, 0, tzinfo=UTC)  # 15:00 CET


def test_any_timezone_in_same_deadline_out() -> None:
    opened = at("2025-03-03 10:00")
    elsewhere = opened.astimezone(UTC)
    assert sla.deadlines(TicketFacts(2, 1, opened)) == sla.deadlines(TicketFacts(2, 1, elsewhere))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sla.deadlines(TicketFacts(1, 1, datetime(2025, 3, 3, 10, 0)))


def test_dates_before_the_index_are_refused() -> None:
    with pytest.raises(ValueError, match="before 2000"):
        sla.deadlines(TicketFacts(1, 1, at("1999-12-31 10:00")))


def test_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        sla.add_business_time(at("2025-03-03 10:00"), -H, P1_HOURS)


def test_far_future_extends_the_index() -> None:
    # 2040-07-13 is a Friday, 14 July a Saturday: no effect
    assert sla.add_business_time(at("2040-07-13 17:00"), 2 * H, P1_HOURS) == at("2040-07-16 09:00")


# ------------------------------------------------------------------ pauses

PAUSES = [
    # label, impact, urgency, opened, pauses, intervention, resolution
    (
        "P2 waits for the member over lunch",
        2, 1, "2025-03-03 09:00",
        [("2025-03-03 10:00", "2025-03-03 14:30")],  # 3.5 h of window time
        "2025-03-04 09:00", "2025-03-04 12:30",
    ),
    (
        "pause after both deadlines",
        2, 1, "2025-03-03 10:00",
        [("2025-03-05 09:00", "2025-03-05 12:00")],
        "2025-03-03 15:00", "2025-03-04 10:00",
    ),
    (
        "pause between the deadlines",
        2, 1, "2025-03-03 10:00",
        [("2025-03-03 16:00", "2025-03-04 09:00")],  # 1 h + 0.5 h of window time
        "2025-03-03 15:00", "2025-03-04 11:30",
    ),
    (
        "pause begun before the ticket",
        3, 1, "2025-03-03 10:00",
        [("2025-03-03 08:00", "2025-03-03 11:00")],  # counts from 10:00: 1 h
        "2025-03-04 11:00", "2025-03-06 11:00",
    ),
    (
        "pause on a weekend changes nothing",
        3, 1, "2025-03-07 10:00",
        [("2025-03-08 08:00", "2025-03-09 20:00")],
        "2025-03-10 10:00", "2025-03-12 10:00",
    ),
    (
        "overlapping pauses count once",
        1, 1, "2025-03-03 10:00",
        [("2025-03-03 11:00", "2025-03-03 12:00"), ("2025-03-03 11:30", "2025-03-03 13:00")],
        "2025-03-03 10:00", "2025-03-03 16:00",
    ),
    (
        "P1 immediate waits for the member",
        1, 1, "2025-03-03 19:00",
        [("2025-03-03 20:00", "2025-03-04 10:00")],
        "2025-03-04 10:00", "2025-03-04 14:00",
    ),
    (
        "P1 paused from the start",
        1, 1, "2025-03-03 10:00",
        [("2025-03-03 10:00", "2025-03-03 11:00")],
        "2025-03-03 11:00", "2025-03-03 15:00",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("impact", "urgency", "opened", "pauses", "intervention", "resolution"),
    [row[1:] for row in PAUSES],
    ids=[row[0] for row in PAUSES],
)
def test_pauses(impact, urgency, opened, pauses, intervention, resolution) -> None:
    spans = tuple((at(begin), at(end)) for begin, end in pauses)
    found = sla.deadlines(TicketFacts(impact, urgency, at(opened), pauses=spans))
    assert (found.intervention, found.resolution) == (at(intervention), at(resolution))


# ------------------------------------------------------------------ elapsed time

ELAPSED = [
    # label, hours, start, end, alsace, pauses, expected
    ("same window", P2_U1_HOURS, "2025-03-03 09:00", "2025-03-03 11:00", False, [], 2 * H),
    ("over lunch", P2_U1_HOURS, "2025-03-03 12:00", "2025-03-03 14:00", False, [], 1 * H),
    ("over a night", P2_U1_HOURS, "2025-03-03 09:00", "2025-03-04 10:00", False, [], 8.5 * H),
    ("over a weekend", P1_HOURS, "2025-03-07 17:00", "2025-03-10 09:00", False, [], 2 * H),
    ("evening to evening", P1_HOURS, "2025-03-03 19:00", "2025-03-04 20:00", False, [], 10 * H),
    ("end before start", P1_HOURS, "2025-03-04 10:00", "2025-03-03 10:00", False, [], 0 * H),
    ("26 Dec Paris", P3_HOURS, "2025-12-24 09:00", "2025-12-29 09:00", False, [], 10 * H),
    ("26 Dec Moselle", P3_HOURS, "2025-12-24 09:00", "2025-12-29 09:00", True, [], 5 * H),
    ("autumn DST", P3_HOURS, "2025-10-24 15:00", "2025-10-27 15:00", False, [], 5 * H),
    (
        "with a pause", P2_U1_HOURS, "2025-03-03 09:00", "2025-03-03 17:00", False,
        [("2025-03-03 10:00", "2025-03-03 14:00")], 4 * H,
    ),
    (
        "pause over the end", P2_U1_HOURS, "2025-03-03 09:00", "2025-03-03 11:00", False,
        [("2025-03-03 10:00", "2025-03-03 14:00")], 1 * H,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("hours", "start", "end", "alsace", "pauses", "expected"),
    [row[1:] for row in ELAPSED],
    ids=[row[0] for row in ELAPSED],
)
def test_elapsed_business_time(hours, start, end, alsace, pauses, expected) -> None:
    spans = [(at(begin), at(stop)) for begin, stop in pauses]
    assert sla.elapsed_business_time(at(start), at(end), hours, alsace, spans) == expected


def test_engine_matches_the_minute_by_minute_reference() -> None:
    rng = random.Random(20250303)
    calendars = [P1_HOURS, P2_U1_HOURS, P2_U2_HOURS, P3_HOURS]
    origin = at("2025-01-01 00:00")
    for _ in range(150):
        hours = rng.choice(calendars)
        alsace = rng.random() < 0.5
        start = origin + timedelta(minutes=rng.randrange(365 * 24 * 60))
        duration = timedelta(minutes=rng.choice([0, 1, 30, 180, 240, 300, 450, 900]))
        pauses = []
        if rng.random() < 0.3:
            begin = start + timedelta(minutes=rng.randrange(-600, 3000))
            pauses.append((begin, begin + timedelta(minutes=rng.randrange(1, 2000))))
        found = sla.add_business_time(start, duration, hours, alsace, pauses)
        assert found == naive_add(start, duration, hours, alsace, pauses), (
            hours.name,
            start,
            duration,
            pauses,
        )
        if duration:
            assert sla.elapsed_business_time(start, found, hours, alsace, pauses) == duration


# ------------------------------------------------------------------ breach and escalation


@pytest.mark.parametrize(
    ("deadline", "done_at", "now", "expected"),
    [
        (None, None, "2030-01-01 00:00", False),
        ("2025-03-03 15:00", "2025-03-03 14:00", "2025-03-04 10:00", False),
        ("2025-03-03 15:00", "2025-03-03 15:00", "2025-03-04 10:00", False),
        ("2025-03-03 15:00", "2025-03-03 15:01", "2025-03-04 10:00", True),
        ("2025-03-03 15:00", None, "2025-03-03 14:59", False),
        ("2025-03-03 15:00", None, "2025-03-03 15:00", False),
        ("2025-03-03 15:00", None, "2025-03-03 15:01", True),
    ],
)
def test_breached(deadline, done_at, now, expected) -> None:
    def parse(text):
        return at(text) if text else None

    assert sla.breached(parse(deadline), parse(done_at), at(now)) is expected


ESCALATION_AT = [
    # label, impact, urgency, opened, alsace, no-answer escalation
    ("P1 at once", 1, 1, "2025-03-03 10:00", False, "2025-03-03 10:00"),
    ("P1 from 08:00", 1, 1, "2025-03-08 23:00", False, "2025-03-10 08:00"),
    ("P2 after 3 h", 2, 1, "2025-03-03 10:00", False, "2025-03-03 14:00"),
    ("P2 after 3 h over lunch U2", 1, 2, "2025-03-03 11:00", False, "2025-03-03 15:30"),
    ("P2 after 3 h over night", 2, 1, "2025-03-03 16:00", False, "2025-03-04 10:30"),
    ("P3 next day", 3, 1, "2025-03-03 10:00", False, "2025-03-04 09:00"),
    ("P3 before opening", 3, 1, "2025-03-03 07:00", False, "2025-03-04 09:00"),
    ("P3 evening", 3, 1, "2025-03-03 20:00", False, "2025-03-05 09:00"),
    ("P4 Friday", 3, 2, "2025-03-07 11:00", False, "2025-03-10 09:00"),
    ("P4 Friday evening", 3, 2, "2025-03-07 17:00", False, "2025-03-11 09:00"),
    ("P3 before Good Friday Paris", 2, 2, "2025-04-17 10:00", False, "2025-04-18 09:00"),
    ("P3 before Good Friday Moselle", 2, 2, "2025-04-17 10:00", True, "2025-04-22 09:00"),
]


@pytest.mark.parametrize(
    ("impact", "urgency", "opened", "alsace", "expected"),
    [row[1:] for row in ESCALATION_AT],
    ids=[row[0] for row in ESCALATION_AT],
)
def test_no_answer_escalation_at(impact, urgency, opened, alsace, expected) -> None:
    facts = TicketFacts(impact, urgency, at(opened), alsace_moselle=alsace)
    assert sla.no_answer_escalation_at(facts) == at(expected)


NO, IB, RB = Escalation.NO_ANSWER, Escalation.INTERVENTION_BREACHED, Escalation.RESOLUTION_BREACHED

ESCALATIONS = [
    # label, impact, urgency, opened, now, answered, intervened, resolved ("DD HH:MM" in
    # March 2025), expected
    ("P2 2h59 no answer", 2, 1, "03 10:00", "03 13:59", None, None, None, ()),
    ("P2 3h no answer", 2, 1, "03 10:00", "03 14:00", None, None, None, (NO,)),
    ("P2 answered", 2, 1, "03 10:00", "03 14:30", "03 11:00", None, None, ()),
    ("P2 answered late", 2, 1, "03 10:00", "03 14:30", "03 14:10", None, None, (NO,)),
    ("P2 at intervention deadline", 2, 1, "03 10:00", "03 15:00", "03 11:00", None, None, ()),
    ("P2 intervention breached", 2, 1, "03 10:00", "03 15:01", "03 11:00", None, None, (IB,)),
    ("P2 intervention is an answer", 2, 1, "03 10:00", "03 16:00", None, "03 12:00", None, ()),
    ("P2 resolution breached", 2, 1, "03 10:00", "04 10:01", None, "03 12:00", None, (RB,)),
    ("P2 resolved in time", 2, 1, "03 10:00", "05 10:00", None, "03 12:00", "04 09:00", ()),
    ("P2 silent for days", 2, 1, "03 10:00", "05 10:00", None, None, None, (NO, IB, RB)),
    ("P3 same day", 3, 1, "03 10:00", "03 17:00", None, None, None, ()),
    ("P3 next morning", 3, 1, "03 10:00", "04 09:00", None, None, None, (NO,)),
    ("P3 next morning answered", 3, 1, "03 10:00", "04 09:00", "03 15:00", None, None, ()),
    ("P3 intervention breached", 3, 1, "03 10:00", "04 10:01", "03 15:00", None, None, (IB,)),
    ("P4 next working day", 3, 2, "07 11:00", "10 09:00", None, None, None, (NO,)),
    ("P4 weekend", 3, 2, "07 11:00", "09 12:00", None, None, None, ()),
    ("P4 never breaches", 3, 2, "07 11:00", "31 23:00", "07 11:30", None, None, ()),
    ("P1 at once", 1, 1, "03 10:00", "03 10:00", None, None, None, (NO,)),
    ("P1 answered at once", 1, 1, "03 10:00", "03 10:00", "03 10:00", "03 10:00", None, ()),
    ("P1 resolution breached", 1, 1, "03 10:00", "03 14:01", "03 10:00", "03 10:00", None, (RB,)),
    ("P1 Saturday waits for Monday", 1, 1, "08 10:00", "09 10:00", None, None, None, ()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("impact", "urgency", "opened", "now", "answered", "intervened", "resolved", "expected"),
    [row[1:] for row in ESCALATIONS],
    ids=[row[0] for row in ESCALATIONS],
)
def test_escalation_due(
    impact, urgency, opened, now, answered, intervened, resolved, expected
) -> None:
    def parse(text):
        return at(f"2025-03-{text}") if text else None

    found = sla.escalation_due(
        TicketFacts(impact, urgency, parse(opened)),
        parse(now),
        answered_at=parse(answered),
        intervened_at=parse(intervened),
        resolved_at=parse(resolved),
    )
    assert found == expected

"""Service-level benchmark: both deadlines (intervention, resolution) of many tickets.

Synthetic tickets: random impact × urgency (so P1–P4, P4 having no deadline), about a
third of the members in Alsace–Moselle, opening instants spread over 2025 on whole
minutes, one ticket in ten with a pause while waiting for the member. Times
`vigie.servicedesk.sla.deadlines` over all of them (median of a few passes, the
working-day index already built). Two baselines in the same run: plain `datetime`
arithmetic (opening + a fixed timedelta, twice per ticket), and the naive minute-by-
minute clock of the tests on a sample, whose answers must agree. Prints one JSON line.

    .venv/bin/python bench/sla.py [--tickets 100000] [--naive 200] [--passes 3]

No database, no Django setup: the engine is pure.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vigie.servicedesk import sla  # noqa: E402
from vigie.servicedesk.tests.reference import naive_add  # noqa: E402

YEAR_START = datetime(2025, 1, 1, tzinfo=sla.PARIS)
MINUTES_IN_YEAR = 365 * 24 * 60


def make_tickets(count: int, seed: int) -> list[sla.TicketFacts]:
    rng = random.Random(seed)  # noqa: S311 (synthetic tickets, not secrets)
    tickets = []
    for _ in range(count):
        opened = YEAR_START + timedelta(minutes=rng.randrange(MINUTES_IN_YEAR))
        pauses: tuple[sla.Pause, ...] = ()
        if rng.random() < 0.1:
            begin = opened + timedelta(minutes=rng.randrange(0, 2 * 24 * 60))
            pauses = ((begin, begin + timedelta(minutes=rng.randrange(30, 3 * 24 * 60))),)
        tickets.append(
            sla.TicketFacts(
                impact=rng.randint(1, 3),
                urgency=rng.randint(1, 2),
                opened_at=opened,
                alsace_moselle=rng.random() < 0.33,
                pauses=pauses,
            )
        )
    return tickets


def time_engine(tickets: list[sla.TicketFacts]) -> float:
    deadlines = sla.deadlines
    started = time.perf_counter()
    for facts in tickets:
        deadlines(facts)
    return time.perf_counter() - started


def time_timedelta(tickets: list[sla.TicketFacts]) -> float:
    four_hours, one_day = timedelta(hours=4), timedelta(days=1)
    started = time.perf_counter()
    for facts in tickets:
        facts.opened_at + four_hours
        facts.opened_at + one_day
    return time.perf_counter() - started


def naive_deadlines(facts: sla.TicketFacts) -> sla.Deadlines:
    level = sla.service_level(facts.impact, facts.urgency)
    if level.intervention is None or level.resolution is None:
        return sla.Deadlines(level.priority, None, None)
    hours, alsace = level.hours, facts.alsace_moselle
    return sla.Deadlines(
        level.priority,
        naive_add(facts.opened_at, level.intervention, hours, alsace, facts.pauses),
        naive_add(facts.opened_at, level.resolution, hours, alsace, facts.pauses),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=200, help="sample for the naive clock")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    tickets = make_tickets(args.tickets, args.seed)
    built = time.perf_counter()
    for alsace in (False, True):  # the index, 2000 to 2026, built once per process
        sla.workdays(alsace).day(datetime(2026, 12, 31).toordinal())
    index_build_s = time.perf_counter() - built

    engine = statistics.median(time_engine(tickets) for _ in range(args.passes))
    plain = statistics.median(time_timedelta(tickets) for _ in range(args.passes))

    sample = tickets[: args.naive]
    started = time.perf_counter()
    naive = [naive_deadlines(facts) for facts in sample]
    naive_s = time.perf_counter() - started
    agrees = naive == [sla.deadlines(facts) for facts in sample]

    per_ticket = engine / len(tickets) * 1e6
    plain_per_ticket = plain / len(tickets) * 1e6
    naive_per_ticket = naive_s / max(len(sample), 1) * 1e6
    priorities = [sla.priority(facts.impact, facts.urgency) for facts in tickets]
    result = {
        "bench": "sla",
        "tickets": len(tickets),
        "p4_without_deadline": sum(p is sla.Priority.P4 for p in priorities),
        "with_pause": sum(bool(facts.pauses) for facts in tickets),
        "passes": args.passes,
        "deadline_us_per_ticket": round(per_ticket, 2),
        "deadline_total_s": round(engine, 3),
        "baseline_timedelta_us_per_ticket": round(plain_per_ticket, 3),
        "ratio_vs_timedelta": round(per_ticket / plain_per_ticket, 1),
        "baseline_naive_us_per_ticket": round(naive_per_ticket, 1),
        "naive_sample": len(sample),
        "naive_extrapolated_s": round(naive_per_ticket * len(tickets) / 1e6, 1),
        "speedup_vs_naive": round(naive_per_ticket / per_ticket, 1),
        "naive_agrees": agrees,
        "index_build_ms": round(index_build_s * 1000, 1),
        "python": platform.python_version(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

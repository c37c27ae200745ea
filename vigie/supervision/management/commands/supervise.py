"""``vigie supervise [--interval S] [--once] [--json]``: the supervision loop.

Each round probes every supervised camera (TCP, then RTSP DESCRIBE), reads what the
recorder wrote, decides each camera's state, writes the history on changes and opens
or closes automatic tickets. It acts as the system party ``supervision``. A failing
round is logged and the loop carries on; SIGTERM or SIGINT stop it after the round.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vigie.core import actors
from vigie.core.management.loops import fresh_connection, stop_on_signals
from vigie.supervision.probe import Timeouts
from vigie.supervision.services import RoundReport, supervise_round

logger = logging.getLogger("vigie.supervision")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not value > 0:
        raise argparse.ArgumentTypeError("must be above 0")
    return value


def _summary(report: RoundReport) -> dict[str, Any]:
    return {
        "probed": report.probed,
        "probe_s": round(report.probe_s, 3),
        "states": report.states,
        "changes": report.changes,
        "tickets_opened": report.tickets_opened,
        "tickets_recovered": report.tickets_recovered,
    }


class Command(BaseCommand):
    help = "Probe the cameras, keep their health and history, open automatic tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=_positive, default=60.0, metavar="S")
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--json", action="store_true", help="each round's summary as JSON")
        parser.add_argument("--concurrency", type=int, default=500)
        parser.add_argument("--connect-timeout", type=_positive, default=3.0, metavar="S")
        parser.add_argument("--answer-timeout", type=_positive, default=3.0, metavar="S")

    def handle(self, *args: Any, **options: Any) -> None:
        timeouts = Timeouts(options["connect_timeout"], options["answer_timeout"])
        with actors.acting_as(actors.system("supervision")):
            if options["once"]:
                self.emit(
                    supervise_round(timeouts=timeouts, concurrency=options["concurrency"]),
                    options["json"],
                )
                return
            self.loop(options, timeouts)

    def emit(self, report: RoundReport, as_json: bool) -> None:
        summary = _summary(report)
        if as_json:
            self.stdout.write(json.dumps(summary))
            return
        states = ", ".join(f"{k}: {v}" for k, v in sorted(report.states.items())) or "none"
        self.stdout.write(
            f"supervision: {report.probed} probed in {report.probe_s:.2f} s; {states};"
            f" {report.changes} change(s); tickets opened {len(report.tickets_opened)},"
            f" recovered {len(report.tickets_recovered)}"
        )
        self.stdout.flush()  # a line per round, also when the output is a file

    def loop(self, options: dict[str, Any], timeouts: Timeouts) -> None:
        interval = options["interval"]
        with stop_on_signals("supervision") as stop:
            while not stop.is_set():
                started = time.monotonic()
                fresh_connection()
                try:
                    report = supervise_round(timeouts=timeouts, concurrency=options["concurrency"])
                except Exception:
                    logger.exception("supervision round failed; next one in %g s", interval)
                else:
                    self.emit(report, options["json"])
                stop.wait(max(0.0, interval - (time.monotonic() - started)))

"""``vigie servicedesk escalate [--once] [--interval S]``, ``list [--member SLUG]
[--open] [--json]`` and ``report --month YYYY-MM [--member SLUG] [--csv OUT | --pdf OUT]``.

`escalate` notifies the next level for the tickets that need it (sla.escalation_due),
each reason once per ticket; without --once it repeats until SIGTERM or SIGINT, and a
failing pass is logged and the loop carries on. It is a system job (no --as).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.core.management.loops import fresh_connection, stop_on_signals
from vigie.servicedesk import reports, services
from vigie.servicedesk.api import TicketSerializer
from vigie.servicedesk.models import OPEN_STATUSES, Ticket

logger = logging.getLogger("vigie.servicedesk.escalate")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not value > 0:
        raise argparse.ArgumentTypeError("the interval must be above 0 seconds")
    return value


def _month(text: str) -> Any:
    try:
        return reports.parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("give the month as YYYY-MM") from exc


class Command(VigieCommand):
    help = "Service desk: escalation loop, ticket list, monthly reports."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{escalate,list,report}"
        )
        escalate = actions.add_parser("escalate", help="notify the next level where due")
        escalate.add_argument("--once", action="store_true", help="one pass, then exit")
        escalate.add_argument(
            "--interval", type=_positive, default=60.0, metavar="S", help="seconds (default 60)"
        )
        listing = actions.add_parser("list", help="tickets one may see")
        listing.add_argument("--member", metavar="SLUG")
        listing.add_argument("--open", action="store_true", help="open tickets only")
        listing.add_argument("--json", action="store_true", help="as the API's JSON")
        report = actions.add_parser("report", help="the monthly activity report")
        report.add_argument("--month", type=_month, required=True, metavar="YYYY-MM")
        report.add_argument("--member", metavar="SLUG")
        output = report.add_mutually_exclusive_group()
        output.add_argument("--csv", metavar="OUT", help="write CSV to OUT ('-': stdout)")
        output.add_argument("--pdf", metavar="OUT", help="write a PDF to OUT")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "escalate":
            actor = actors.current()
            if actor is not None and not actor.system:
                raise CommandError("escalate is a system job: run it without --as")
            with actors.acting_as(actors.system("job:servicedesk-escalate")):
                if options["once"]:
                    self.escalate_once()
                else:
                    self.loop(options["interval"])
        elif action == "list":
            self.list_tickets(options)
        else:
            self.report(options)

    # ------------------------------------------------------------------ escalate

    def escalate_once(self) -> int:
        sent = services.run_escalations()
        for item in sent:
            self.stdout.write(
                f"{item.ticket.reference} {item.reason} -> level {item.level}:"
                f" {', '.join(item.recipients) or '(nobody configured)'}"
            )
        self.stdout.write(f"escalate: {len(sent)} escalation(s) sent")
        return len(sent)

    def loop(self, interval: float) -> None:
        self.stdout.write(f"escalate: a pass every {interval:g} s until SIGTERM")
        passes = 0
        with stop_on_signals("escalation loop") as stop:
            while not stop.is_set():
                fresh_connection()
                try:
                    self.escalate_once()
                except Exception:
                    logger.exception("escalation pass failed; next one in %g s", interval)
                else:
                    passes += 1
                stop.wait(interval)
        self.stdout.write(f"escalate: stopped after {passes} pass(es)")

    # ------------------------------------------------------------------ list

    def list_tickets(self, options: dict[str, Any]) -> None:
        rows = Ticket.objects.restrict(actors.current(), "view").select_related(
            "member", "reporter", "assignee", "contractor"
        )
        if options["member"]:
            rows = rows.filter(member=self.member_by_slug(options["member"]))
        if options["open"]:
            rows = rows.filter(status__in=OPEN_STATUSES)
        rows = rows.order_by("-opened_at", "-pk")
        if options["json"]:
            self.emit_json(TicketSerializer(rows, many=True).data)
            return

        def when(value: Any) -> str | None:
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else None

        self.emit_table(
            rows,
            [
                ("TICKET", lambda t: t.reference),
                ("MEMBER", lambda t: t.member.slug),
                ("P", lambda t: f"P{t.priority}"),
                ("STATUS", lambda t: t.status),
                ("CATEGORY", lambda t: t.category),
                ("OPENED", lambda t: when(t.opened_at)),
                ("RESOLUTION DUE", lambda t: when(t.resolution_due)),
                ("TITLE", lambda t: t.title[:60]),
            ],
        )

    # ------------------------------------------------------------------ report

    def report(self, options: dict[str, Any]) -> None:
        tickets = Ticket.objects.restrict(actors.current(), "view")
        member = self.member_by_slug(options["member"]) if options["member"] else None
        report = reports.monthly_report(tickets, options["month"], member)
        if options["csv"]:
            text = reports.to_csv([report])
            if options["csv"] == "-":
                self.stdout.write(text, ending="")
            else:
                Path(options["csv"]).write_text(text, encoding="utf-8")
                self.stdout.write(f"report written to {options['csv']}")
        elif options["pdf"]:
            Path(options["pdf"]).write_bytes(reports.to_pdf([report]))
            self.stdout.write(f"report written to {options['pdf']}")
        else:
            self.emit_json(report.as_dict())

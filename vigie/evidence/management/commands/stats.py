"""``vigie stats [--year Y] [--member SLUG] [--json|--csv]``: the yearly table of the
requisitions (brief §3), from the records merged with the figures entered by hand.

Without ``--member``, the syndicate's line (and with ``--year``, each member's); a
figure entered by hand is marked ``*`` in the text table.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.evidence import stats

SHORT = {
    "offences": "OFFENCES",
    "offences_by_operators": "BY_OPERATORS",
    "viewing_requests": "REQUESTS",
    "positive": "POSITIVE",
    "negative": "NEGATIVE",
    "direct": "DIRECT",
    "cancelled": "CANCELLED",
    "with_export": "EXPORTS",
    "review_hours": "HOURS",
}


class Command(VigieCommand):
    help = "The yearly statistics of judicial requisitions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, metavar="Y")
        parser.add_argument("--member", metavar="SLUG")
        out = parser.add_mutually_exclusive_group()
        out.add_argument("--json", action="store_true")
        out.add_argument("--csv", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        params = {"year": options["year"], "member": options["member"]}
        try:
            table = stats.Table.for_request(actors.current(), params)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if table is None:
            raise CommandError("your roles do not show statistics")
        if options["json"]:
            self.emit_json(table.json())
        elif options["csv"]:
            self.stdout.write(table.csv(), ending="")
        else:
            self.emit_table(
                table.rows,
                [
                    ("YEAR", lambda r: r.year),
                    ("MEMBER", lambda r: table.slugs.get(r.member_id) or "(syndicate)"),
                    *((SHORT[f], _getter(f)) for f in stats.FIELDS),
                ],
            )


def _getter(name: str) -> Any:
    def get(row: stats.Row) -> str:
        cell = row.cells[name]
        if cell.value is None:
            return "-"
        text = stats._text(cell.value)
        return f"{text}*" if cell.source == stats.MANUAL else text

    return get

"""``vigie requisition add|list|step|close``: judicial requisitions from the command line.

    vigie requisition add --member antony --service police_nationale \\
        --officer "Brigadier Martin" --officer-id 123456 --procedure PV-2026-123 \\
        --received 2026-11-21 --facts "Vol à l'arraché, place de la Gare" \\
        --camera ANT-GARE-01 --from 2026-11-20T08:00 --until 2026-11-20T10:00 \\
        --camera ANT-GARE-02 --from 2026-11-20T08:30 --until 2026-11-20T09:00
    vigie requisition list [--member SLUG] [--late] [--open] [--json]
    vigie requisition step ID under_review --reason "Relecture en cours"
    vigie requisition close ID --reason "Images remises, procédure close"

Each ``--camera`` takes the ``--from``/``--until`` that follow it; filing holds the
footage at once. Times without an offset are in the server's zone (Europe/Paris).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.core.management.parsing import parse_date, parse_when
from vigie.evidence import services
from vigie.evidence.filters import late_q
from vigie.evidence.models import Requisition, Service
from vigie.evidence.services import RangeSpec
from vigie.evidence.workflow import FINAL, Status
from vigie.inventory.models import Camera


def requisition_data(r: Requisition) -> dict[str, Any]:
    """A requisition with the API's field names."""
    ranges = list(r.ranges.all())
    return {
        "id": r.pk,
        "member": r.member.slug,
        "service": r.service,
        "officer_name": r.officer_name,
        "officer_id": r.officer_id,
        "procedure_number": r.procedure_number,
        "received_on": r.received_on,
        "deadline": r.deadline,
        "facts": r.facts,
        "status": r.status,
        "outcome": r.outcome,
        "late": r.late,
        "ranges": [
            {"camera": x.camera_id, "camera_name": x.camera.name, "start": x.start, "end": x.end}
            for x in ranges
        ],
        "holds": sorted({x.legal_hold_id for x in ranges if x.legal_hold_id is not None}),
        "created_by": r.created_by.get_username() if r.created_by else None,
        "created": r.created,
        "closed_at": r.closed_at,
    }


class Command(VigieCommand):
    help = "File, list and close judicial requisitions."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{add,list,step,close}"
        )
        add = actions.add_parser("add", help="file a requisition: its footage is held at once")
        add.add_argument("--member", required=True, metavar="SLUG")
        add.add_argument("--service", required=True, choices=Service.values)
        add.add_argument("--officer", required=True, metavar="NAME")
        add.add_argument("--officer-id", default="", metavar="ID", help="matricule")
        add.add_argument("--procedure", required=True, metavar="NUMBER")
        add.add_argument("--received", type=parse_date, metavar="DATE", help="default: today")
        add.add_argument("--deadline", type=parse_date, metavar="DATE")
        add.add_argument("--facts", required=True, metavar="TEXT")
        add.add_argument("--camera", action="append", required=True, metavar="NAME")
        add.add_argument("--from", dest="start", action="append", required=True, type=parse_when)
        add.add_argument("--until", dest="end", action="append", required=True, type=parse_when)
        add.add_argument("--json", action="store_true")
        listing = actions.add_parser("list", help="the requisitions you may see")
        listing.add_argument("--member", metavar="SLUG")
        listing.add_argument("--late", action="store_true", help="only those past their deadline")
        listing.add_argument("--open", action="store_true", help="only those not closed")
        listing.add_argument("--json", action="store_true", help="JSON, with the API's fields")
        step = actions.add_parser("step", help="move a requisition to its next status")
        step.add_argument("id", type=int)
        step.add_argument("status", choices=[s.value for s in Status])
        step.add_argument("--reason", required=True)
        step.add_argument("--json", action="store_true")
        close = actions.add_parser("close", help="close a requisition: its holds are released")
        close.add_argument("id", type=int)
        close.add_argument("--reason", required=True)
        close.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"do_{options['action']}")(options)

    def do_add(self, options: dict[str, Any]) -> None:
        member = self.member_by_slug(options["member"])
        names, starts, ends = options["camera"], options["start"], options["end"]
        if not len(names) == len(starts) == len(ends):
            raise CommandError("give one --from and one --until after each --camera")
        # Officers name cameras they may not browse: any camera of the member is named.
        cameras = {
            c.name: c
            for c in Camera.objects.unrestricted().filter(member=member, name__in=set(names))
        }
        missing = sorted(set(names) - set(cameras))
        if missing:
            raise CommandError(f"unknown camera(s) of {member.slug}: {', '.join(missing)}")
        requisition = services.file_requisition(
            member=member,
            service=options["service"],
            officer_name=options["officer"],
            officer_id=options["officer_id"],
            procedure_number=options["procedure"],
            facts=options["facts"],
            received_on=options["received"],
            deadline=options["deadline"],
            ranges=[
                RangeSpec(cameras[n], s, e) for n, s, e in zip(names, starts, ends, strict=True)
            ],
        )
        holds = sorted({r.legal_hold_id for r in requisition.ranges.all() if r.legal_hold_id})
        self._show(
            requisition,
            options,
            f"requisition {requisition.pk} filed ({requisition.procedure_number});"
            f" footage held: hold(s) {', '.join(map(str, holds))}",
        )

    def _get(self, pk: int) -> Requisition:
        found = Requisition.objects.restrict(actors.current(), "view").filter(pk=pk).first()
        if found is None:
            raise CommandError(f"unknown requisition {pk}")
        return found

    def do_step(self, options: dict[str, Any]) -> None:
        requisition = services.transition(
            self._get(options["id"]), options["status"], options["reason"]
        )
        self._show(requisition, options, f"requisition {requisition.pk}: {requisition.status}")

    def do_close(self, options: dict[str, Any]) -> None:
        requisition = services.transition(
            self._get(options["id"]), Status.CLOSED, options["reason"]
        )
        self._show(
            requisition, options, f"requisition {requisition.pk} closed; its holds are released"
        )

    def do_list(self, options: dict[str, Any]) -> None:
        rows = (
            Requisition.objects.restrict(actors.current(), "view")
            .select_related("member", "created_by")
            .prefetch_related("ranges__camera")
            .order_by("deadline", "pk")
        )
        if options.get("member"):
            rows = rows.filter(member=self.member_by_slug(options["member"]))
        if options["late"]:
            rows = rows.filter(late_q())
        if options["open"]:
            rows = rows.exclude(status__in=list(FINAL))
        if options["json"]:
            self.emit_json([requisition_data(r) for r in rows])
            return
        self.emit_table(
            rows,
            [
                ("ID", lambda r: r.pk),
                ("MEMBER", lambda r: r.member.slug),
                ("PROCEDURE", lambda r: r.procedure_number),
                ("SERVICE", lambda r: r.service),
                ("RECEIVED", lambda r: r.received_on),
                ("DEADLINE", lambda r: r.deadline),
                ("LATE", lambda r: r.late),
                ("STATUS", lambda r: r.status),
                ("CAMERAS", lambda r: sorted({x.camera.name for x in r.ranges.all()})),
            ],
        )

    def _show(self, requisition: Requisition, options: dict[str, Any], line: str) -> None:
        if options.get("json"):
            requisition = Requisition.objects.unrestricted().get(pk=requisition.pk)
            self.emit_json(requisition_data(requisition))
        else:
            self.stdout.write(line)

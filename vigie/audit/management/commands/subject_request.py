"""``vigie subject-request list|add|status|close``: requests from filmed persons.

    vigie subject-request add --member antony --name "M. Dupont" --contact "1 rue X, Antony" \\
        --place "Parvis de la gare" --from 2026-11-20T08:00 --until 2026-11-20T08:30 \\
        --camera ANT-001 [--kind access] [--received-on 2026-11-21] [--identity "CNI …1234"]
    vigie subject-request status 3 --to searching
    vigie subject-request status 3 --to answered --text "Copie remise le …"
    vigie subject-request close 3
    vigie subject-request copy 3 --camera ANT-001 --reason "Accès demandé par la personne"
    vigie subject-request list [--member SLUG] [--open] [--late] [--json]

Times without an offset are read in the server's time zone (Europe/Paris).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from vigie.audit.models import SubjectRequest, SubjectRequestKind, SubjectRequestStatus
from vigie.audit.subject_requests import prepare_viewing_copy, save_request, transition
from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.core.management.parsing import parse_date, parse_when
from vigie.inventory.models import Camera


def request_data(obj: SubjectRequest) -> dict[str, Any]:
    """The request with the API's field names."""
    return {
        "id": obj.pk,
        "reference": obj.reference,
        "member": obj.member.slug,
        "kind": obj.kind,
        "received_on": obj.received_on,
        "requester_name": obj.requester_name,
        "requester_contact": obj.requester_contact,
        "identity_reference": obj.identity_reference,
        "place": obj.place,
        "window_start": obj.window_start,
        "window_end": obj.window_end,
        "cameras": sorted(c.pk for c in obj.cameras.all()),
        "status": obj.status,
        "deadline": obj.deadline,
        "extended": obj.extended,
        "late": obj.is_late(),
        "footage_destroyed_on": obj.footage_destroyed_on,
        "hold": obj.hold_id,
        "answered_on": obj.answered_on,
        "closed_at": obj.closed_at,
    }


class Command(VigieCommand):
    help = "Record, follow and close requests from filmed persons."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{add,status,close,copy,list}"
        )
        add = actions.add_parser("add", help="record a request")
        add.add_argument("--member", required=True, metavar="SLUG")
        add.add_argument("--kind", choices=SubjectRequestKind.values, default="access")
        add.add_argument("--received-on", type=parse_date, metavar="DATE", help="default: today")
        add.add_argument("--name", required=True, help="the requester's name")
        add.add_argument("--contact", required=True, help="where to answer them")
        add.add_argument("--identity", default="", help="kind and last digits of the ID shown")
        add.add_argument("--place", required=True)
        add.add_argument("--from", dest="start", required=True, type=parse_when, metavar="ISO")
        add.add_argument("--until", dest="end", required=True, type=parse_when, metavar="ISO")
        add.add_argument("--camera", nargs="+", action="extend", default=[], metavar="NAME")
        add.add_argument("--json", action="store_true")
        status = actions.add_parser("status", help="move a request on")
        status.add_argument("id", type=int)
        status.add_argument("--to", required=True, choices=SubjectRequestStatus.values)
        status.add_argument("--text", default="", help="the answer (answered, refused)")
        status.add_argument("--ground", default="", help="legal ground (refused)")
        status.add_argument("--json", action="store_true")
        close = actions.add_parser("close", help="close an answered or refused request")
        close.add_argument("id", type=int)
        close.add_argument("--json", action="store_true")
        copy = actions.add_parser(
            "copy", help="write the masked viewing copy of one camera's footage (MP4)"
        )
        copy.add_argument("id", type=int)
        copy.add_argument("--camera", required=True, metavar="NAME")
        copy.add_argument("--reason", required=True, help="why (journaled)")
        listing = actions.add_parser("list", help="list the requests you may see")
        listing.add_argument("--member", metavar="SLUG")
        listing.add_argument("--open", action="store_true", help="only those not answered")
        listing.add_argument("--late", action="store_true", help="only those past their deadline")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"do_{options['action']}")(options)

    def do_add(self, options: dict[str, Any]) -> None:
        member = self.member_by_slug(options["member"])
        names = list(dict.fromkeys(options["camera"]))
        cameras = list(
            Camera.objects.restrict(actors.current(), "view").filter(member=member, name__in=names)
        )
        missing = sorted(set(names) - {c.name for c in cameras})
        if missing:
            raise CommandError(f"unknown camera(s) of {member.slug}: {', '.join(missing)}")
        obj = SubjectRequest(
            member=member,
            kind=options["kind"],
            received_on=options["received_on"] or timezone.localdate(),
            requester_name=options["name"],
            requester_contact=options["contact"],
            identity_reference=options["identity"],
            place=options["place"],
            window_start=options["start"],
            window_end=options["end"],
        )
        obj = save_request(obj, cameras=cameras)
        self._show(
            obj, options, f"request {obj.pk} recorded ({obj.reference}), due by {obj.deadline}"
        )

    def _get(self, pk: int) -> SubjectRequest:
        obj = SubjectRequest.objects.restrict(actors.current(), "view").filter(pk=pk).first()
        if obj is None:
            raise CommandError(f"unknown request {pk}")
        return obj

    def do_status(self, options: dict[str, Any]) -> None:
        obj = transition(
            self._get(options["id"]), options["to"], text=options["text"], ground=options["ground"]
        )
        self._show(obj, options, f"request {obj.pk} is now {obj.status}")

    def do_close(self, options: dict[str, Any]) -> None:
        obj = transition(self._get(options["id"]), SubjectRequestStatus.CLOSED)
        self._show(obj, options, f"request {obj.pk} closed")

    def do_copy(self, options: dict[str, Any]) -> None:
        obj = self._get(options["id"])
        camera = obj.cameras.filter(name=options["camera"]).first()
        if camera is None:
            raise CommandError(f"{options['camera']!r} is not a camera of request {obj.pk}")
        path = prepare_viewing_copy(obj, camera.pk, options["reason"])
        self.stdout.write(str(path))

    def do_list(self, options: dict[str, Any]) -> None:
        rows = (
            SubjectRequest.objects.restrict(actors.current(), "view")
            .select_related("member")
            .prefetch_related("cameras")
            .order_by("deadline", "pk")
        )
        if options.get("member"):
            rows = rows.filter(member=self.member_by_slug(options["member"]))
        found = [
            r
            for r in rows
            if (not options["open"] or r.open) and (not options["late"] or r.is_late())
        ]
        if options["json"]:
            self.emit_json([request_data(r) for r in found])
            return
        self.emit_table(
            found,
            [
                ("ID", lambda r: r.pk),
                ("REFERENCE", lambda r: r.reference),
                ("MEMBER", lambda r: r.member.slug),
                ("KIND", lambda r: r.kind),
                ("RECEIVED", lambda r: r.received_on),
                ("STATUS", lambda r: r.status),
                ("DUE", lambda r: r.deadline),
                ("LATE", lambda r: r.is_late()),
            ],
        )

    def _show(self, obj: SubjectRequest, options: dict[str, Any], line: str) -> None:
        if options.get("json"):
            self.emit_json(request_data(obj))
        else:
            self.stdout.write(line)

"""``vigie hold add|release|list``: legal holds, which keep footage from any deletion.

    vigie hold add --member antony --camera CAM-1 CAM-2 --from 2026-11-20T08:00 \\
        --until 2026-11-20T12:00 --reason "Réquisition OPJ, vol à l'arraché" --reference PV-2026-123
    vigie hold release 7 --reason "Procédure close, images remises"
    vigie hold list [--member SLUG] [--active] [--json]

Times without an offset are read in the server's time zone (Europe/Paris).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.core.management.parsing import parse_when
from vigie.inventory.models import Camera
from vigie.recording import services
from vigie.recording.models import LegalHold


def hold_data(hold: LegalHold) -> dict[str, Any]:
    """A hold with the field names the API uses (member as its slug, people as usernames)."""
    return {
        "id": hold.pk,
        "member": hold.member.slug,
        "cameras": sorted(c.pk for c in hold.cameras.all()),
        "camera_names": sorted(c.name for c in hold.cameras.all()),
        "start": hold.start,
        "end": hold.end,
        "reason": hold.reason,
        "reference": hold.reference,
        "placed_by": hold.placed_by.get_username() if hold.placed_by else None,
        "placed_at": hold.placed_at,
        "active": hold.active,
        "released_at": hold.released_at,
        "released_by": hold.released_by.get_username() if hold.released_by else None,
        "release_reason": hold.release_reason,
    }


class Command(VigieCommand):
    help = "Place, release and list legal holds."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{add,release,list}")
        add = actions.add_parser("add", help="freeze footage of some cameras over a period")
        add.add_argument("--member", required=True, metavar="SLUG")
        add.add_argument(
            "--camera",
            required=True,
            nargs="+",
            action="extend",
            metavar="NAME",
            help="camera names of that member (several, or the option repeated)",
        )
        add.add_argument("--from", dest="start", required=True, type=parse_when, metavar="ISO")
        add.add_argument("--until", dest="end", required=True, type=parse_when, metavar="ISO")
        add.add_argument("--reason", required=True, help="why (journaled)")
        add.add_argument(
            "--reference", required=True, metavar="REF", help="procedure or requisition number"
        )
        add.add_argument("--json", action="store_true", help="print the hold as JSON")
        release = actions.add_parser("release", help="end a hold: retention resumes")
        release.add_argument("id", type=int, help="the hold's number")
        release.add_argument("--reason", required=True, help="why (journaled)")
        release.add_argument("--json", action="store_true", help="print the hold as JSON")
        listing = actions.add_parser("list", help="list the holds you may see")
        listing.add_argument("--member", metavar="SLUG", help="only this member's holds")
        listing.add_argument("--active", action="store_true", help="only holds in force")
        listing.add_argument("--json", action="store_true", help="JSON, with the API's fields")

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
        hold = services.place_hold(
            member,
            cameras,
            options["start"],
            options["end"],
            reason=options["reason"],
            reference=options["reference"],
        )
        self._show(hold, options, f"hold {hold.pk} placed ({hold.reference})")

    def do_release(self, options: dict[str, Any]) -> None:
        hold = LegalHold.objects.restrict(actors.current(), "view").filter(pk=options["id"]).first()
        if hold is None:
            raise CommandError(f"unknown hold {options['id']}")
        hold = services.release_hold(hold, options["reason"])
        self._show(hold, options, f"hold {hold.pk} released ({hold.reference})")

    def do_list(self, options: dict[str, Any]) -> None:
        holds = (
            LegalHold.objects.restrict(actors.current(), "view")
            .select_related("member", "placed_by", "released_by")
            .prefetch_related("cameras")
            .order_by("-placed_at", "-pk")
        )
        if options.get("member"):
            holds = holds.filter(member=self.member_by_slug(options["member"]))
        if options["active"]:
            holds = holds.filter(released_at__isnull=True)
        if options["json"]:
            self.emit_json([hold_data(h) for h in holds])
            return
        self.emit_table(
            holds,
            [
                ("ID", lambda h: h.pk),
                ("MEMBER", lambda h: h.member.slug),
                ("REFERENCE", lambda h: h.reference),
                ("CAMERAS", lambda h: sorted(c.name for c in h.cameras.all())),
                ("FROM", lambda h: timezone.localtime(h.start).isoformat(timespec="minutes")),
                ("UNTIL", lambda h: timezone.localtime(h.end).isoformat(timespec="minutes")),
                ("ACTIVE", lambda h: h.active),
                ("REASON", lambda h: h.reason),
            ],
        )

    def _show(self, hold: LegalHold, options: dict[str, Any], line: str) -> None:
        if options.get("json"):
            self.emit_json(hold_data(hold))
        else:
            self.stdout.write(line)

"""``vigie authorisation list [--member SLUG] [--expiring] [--json]``: prefectoral
authorisations; ``--expiring``: those whose renewal file is due (4 months ahead)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.db.models import Count
from django.utils import timezone

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.inventory import services
from vigie.inventory.api.serializers import AuthorisationSerializer
from vigie.inventory.models import Authorisation


def state(authorisation: Authorisation) -> str:
    today = timezone.localdate()
    if authorisation.revoked:
        return "revoked"
    if authorisation.expires_on < today:
        return "expired"
    if authorisation.issued_on > today:
        return "not yet valid"
    return "expiring" if authorisation.expires_soon(today) else "valid"


class Command(VigieCommand):
    help = "List prefectoral authorisations."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list}")
        listing = actions.add_parser("list", help="list the authorisations you may see")
        listing.add_argument("--member", metavar="SLUG", help="only this member's")
        listing.add_argument(
            "--expiring", action="store_true", help="only those due for renewal within 4 months"
        )
        listing.add_argument("--json", action="store_true", help="JSON, with the API's fields")

    def handle(self, *args: Any, **options: Any) -> None:
        who = actors.current()
        if options["expiring"]:
            found = services.expiring_authorisations(who)
        else:
            found = Authorisation.objects.restrict(who, "view")
        found = found.select_related("member").prefetch_related("cameras")
        if options.get("member"):
            found = found.filter(member=self.member_by_slug(options["member"]))
        if options["json"]:
            self.emit_json(AuthorisationSerializer(found, many=True).data)
            return
        self.emit_table(
            found.annotate(camera_count=Count("cameras")),
            [
                ("ID", lambda a: a.pk),
                ("MEMBER", lambda a: a.member.slug),
                ("NUMBER", lambda a: a.number),
                ("ISSUED", lambda a: a.issued_on),
                ("EXPIRES", lambda a: a.expires_on),
                ("CAMERAS", lambda a: a.camera_count),
                ("STATE", state),
            ],
        )

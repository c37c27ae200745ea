"""``vigie site list [--member SLUG] [--json]``: the sites the acting party may see."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.db.models import Count

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.inventory.api.serializers import SiteSerializer
from vigie.inventory.models import Site


class Command(VigieCommand):
    help = "List sites."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list}")
        listing = actions.add_parser("list", help="list the sites you may see")
        listing.add_argument("--member", metavar="SLUG", help="only this member's sites")
        listing.add_argument("--json", action="store_true", help="JSON, with the API's fields")

    def handle(self, *args: Any, **options: Any) -> None:
        sites = Site.objects.restrict(actors.current(), "view").select_related("member")
        if options.get("member"):
            sites = sites.filter(member=self.member_by_slug(options["member"]))
        if options["json"]:
            self.emit_json(SiteSerializer(sites, many=True).data)
            return
        self.emit_table(
            sites.annotate(camera_count=Count("cameras")),
            [
                ("ID", lambda s: s.pk),
                ("MEMBER", lambda s: s.member.slug),
                ("NAME", lambda s: s.name),
                ("CITY", lambda s: s.city),
                ("LATITUDE", lambda s: s.latitude),
                ("LONGITUDE", lambda s: s.longitude),
                ("CAMERAS", lambda s: s.camera_count),
            ],
        )

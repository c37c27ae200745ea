"""``vigie camera list [--member SLUG] [--json]``: the cameras the acting party may see."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.inventory.api.serializers import CameraSerializer
from vigie.inventory.models import Camera


class Command(VigieCommand):
    help = "List cameras."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list}")
        listing = actions.add_parser("list", help="list the cameras you may see")
        listing.add_argument("--member", metavar="SLUG", help="only this member's cameras")
        listing.add_argument("--json", action="store_true", help="JSON, with the API's fields")

    def handle(self, *args: Any, **options: Any) -> None:
        cameras = Camera.objects.restrict(actors.current(), "view").select_related("member", "site")
        if options.get("member"):
            cameras = cameras.filter(member=self.member_by_slug(options["member"]))
        if options["json"]:
            self.emit_json(CameraSerializer(cameras, many=True).data)
            return
        self.emit_table(
            cameras,
            [
                ("ID", lambda c: c.pk),
                ("MEMBER", lambda c: c.member.slug),
                ("NAME", lambda c: c.name),
                ("MODEL", lambda c: c.model),
                ("IP", lambda c: c.ip_address),
                ("MAC", lambda c: c.mac_address),
                ("SITE", lambda c: c.site.name if c.site else None),
                ("STATUS", lambda c: c.status),
                ("ENABLED", lambda c: c.enabled),
            ],
        )

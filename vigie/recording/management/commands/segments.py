"""``vigie segments --camera NAME [--member SLUG] [--json]``: one camera's footage index.

Lists what the acting party may see of the segments (files, times, sizes, hashes) and
whether a legal hold keeps each one.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.inventory.models import Camera
from vigie.recording import services
from vigie.recording.models import Segment


def segment_data(segment: Segment, held: bool) -> dict[str, Any]:
    return {
        "id": segment.pk,
        "camera": segment.camera_id,
        "storage_pool": segment.storage_pool_id,
        "path": segment.path,
        "start": segment.start,
        "end": segment.end,
        "bytes": segment.bytes,
        "sha256": segment.sha256,
        "closed": segment.closed,
        "codec": segment.codec,
        "width": segment.width,
        "height": segment.height,
        "held": held,
    }


class Command(VigieCommand):
    help = "List one camera's recorded segments."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--camera", required=True, metavar="NAME", help="the camera's name")
        parser.add_argument("--member", metavar="SLUG", help="the camera's member")
        parser.add_argument("--json", action="store_true", help="JSON, with the API's fields")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actors.current()
        cameras = Camera.objects.restrict(actor, "view").filter(name=options["camera"])
        if options.get("member"):
            cameras = cameras.filter(member=self.member_by_slug(options["member"]))
        found = list(cameras.select_related("member")[:2])
        if not found:
            raise CommandError(f"unknown camera {options['camera']!r}")
        if len(found) > 1:
            raise CommandError(
                f"several members have a camera named {options['camera']!r}: give --member"
            )
        segments = list(services.camera_segments(actor, found[0]))
        held = services.held_segment_ids(segments)
        if options["json"]:
            self.emit_json([segment_data(s, s.pk in held) for s in segments])
            return
        self.emit_table(
            segments,
            [
                ("ID", lambda s: s.pk),
                ("START", lambda s: timezone.localtime(s.start).isoformat(timespec="seconds")),
                (
                    "END",
                    lambda s: (
                        timezone.localtime(s.end).isoformat(timespec="seconds") if s.end else None
                    ),
                ),
                ("BYTES", lambda s: s.bytes),
                ("CLOSED", lambda s: s.closed),
                ("HELD", lambda s: s.pk in held),
                ("POOL", lambda s: s.storage_pool.name),
                ("PATH", lambda s: s.path),
            ],
        )

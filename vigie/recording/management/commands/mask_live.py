"""``vigie mask-live --camera ID [--dir PATH]``: the masked live encoder of one camera.

Started detached by the live view when someone asks for a masked camera's live
playlist; exits on its own when nobody has asked for 30 s, or at once if another
encoder already runs for the camera. It reads only ``job.json`` in its folder and
the recorder's files: it never touches the database (see ``vigie.recording.masks_live``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vigie.recording import masks_live


class Command(BaseCommand):
    help = "Serve the masked live window of one camera while someone watches it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--camera", type=int, required=True)
        parser.add_argument("--dir", type=Path, default=None, help="the camera's folder")
        parser.add_argument("--idle-seconds", type=float, default=masks_live.IDLE_SECONDS)
        parser.add_argument("--preset", default="superfast")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        folder = options["dir"] or masks_live.folder_for(options["camera"])
        masks_live.run(folder, idle_s=options["idle_seconds"], preset=options["preset"])

"""``vigie recorder [--node NAME]``: record the cameras of one recorder node until stopped.

Runs in the foreground and logs to stderr (systemd or a container runtime keeps it up);
SIGTERM or SIGINT stop every ingest cleanly, close the segments and open the gaps.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any

from django.core.management.base import CommandError, CommandParser

from vigie.core.management.base import VigieCommand
from vigie.recording.avingest import engine_for, tune_malloc
from vigie.recording.recorder import Recorder, resolve_node
from vigie.recording.supervision import Policy


class Command(VigieCommand):
    help = "Record the cameras of a recorder node (runs until SIGTERM)."

    def add_arguments(self, parser: CommandParser) -> None:
        default = Policy()
        parser.add_argument(
            "--node",
            metavar="NAME",
            help="the recorder node to record for (default: the only node, or this host's)",
        )
        parser.add_argument(
            "--segment-seconds",
            type=float,
            default=default.segment_time_s,
            help="segment length (default %(default)s)",
        )
        parser.add_argument(
            "--watchdog-seconds",
            type=float,
            default=default.watchdog_s,
            help="restart an ingest that wrote nothing for this long (default %(default)s)",
        )
        parser.add_argument(
            "--inventory-seconds",
            type=float,
            default=default.inventory_every_s,
            help="how often the camera list is re-read (default %(default)s)",
        )
        parser.add_argument("--no-live", action="store_true", help="do not write live HLS")
        parser.add_argument(
            "--ingest",
            choices=["rtp", "pyav", "ffmpeg"],
            default="rtp",
            help="one I/O thread for every RTSP camera (rtp, default), PyAV threads in"
            " this process (pyav) or one FFmpeg process per camera (ffmpeg)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        _log_to_stderr()
        for name in ("segment_seconds", "watchdog_seconds", "inventory_seconds"):
            if options[name] <= 0:
                raise CommandError(f"--{name.replace('_', '-')} must be positive")
        try:
            node = resolve_node(options.get("node"))
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        policy = Policy(
            segment_time_s=options["segment_seconds"],
            watchdog_s=options["watchdog_seconds"],
            inventory_every_s=options["inventory_seconds"],
        )
        stop = threading.Event()

        def on_signal(signum: int, _frame: Any) -> None:
            logging.getLogger("vigie.recorder").info("signal %s: stopping", signum)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        if options["ingest"] in ("pyav", "rtp"):
            tune_malloc()
        engine = engine_for(options["ingest"], policy)
        Recorder(node, policy, engine=engine, live=not options["no_live"]).run(stop)


def _log_to_stderr() -> None:
    logger = logging.getLogger("vigie.recorder")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False

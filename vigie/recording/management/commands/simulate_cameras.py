"""``vigie simulate-cameras``: serve N simulated RTSP cameras until interrupted."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vigie.recording.simulator import FootageError, SimulatedCameras, SimulatorError
from vigie.recording.simulator.footage import CODECS, cache_dir


class Command(BaseCommand):
    help = (
        "Serve N RTSP cameras on 127.0.0.1:PORT (/cam1 … /camN) looping pre-encoded "
        "footage without re-encoding, until Ctrl-C or SIGTERM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=4, help="number of cameras (4)")
        parser.add_argument("--port", type=int, default=8554, help="RTSP port (8554; 0: any)")
        parser.add_argument(
            "--footage",
            help="folder of video files to loop (e.g. ../shared/data); default: a test pattern",
        )
        parser.add_argument("--codec", choices=CODECS, default="h264", help="h264 (default)")
        parser.add_argument("--user", help="ask clients for this user name (RTSP Digest)")
        parser.add_argument("--password", default="", help="and this password (with --user)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["count"] < 1:
            raise CommandError("--count must be at least 1")
        if options["password"] and not options["user"]:
            raise CommandError("--password needs --user")
        auth = (options["user"], options["password"]) if options["user"] else None
        cameras = SimulatedCameras(
            options["count"], options["port"], options["footage"], options["codec"], auth=auth
        )
        stopping = threading.Event()
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            stopping.set()

        for sig in previous:
            signal.signal(sig, on_signal)
        try:
            self.stdout.write(f"preparing the clips in {cache_dir()} (encoded once, then cached)")
            cameras.prepare()
            if stopping.is_set():  # interrupted while encoding
                return
            cameras.start()
            for clip in cameras.clips:
                self.stdout.write(
                    f"  {clip.source}: {clip.codec} {clip.width}x{clip.height} "
                    f"{clip.fps} fps, {clip.duration:.1f} s loop"
                )
            for index in range(1, cameras.count + 1):
                # Printed with the credentials: it is what a recorder must be given.
                self.stdout.write(cameras.url(index, *auth) if auth else cameras.url(index))
            self.stdout.write("serving; Ctrl-C to stop", ending="\n")
            self.stdout.flush()
            self.wait(cameras, stopping)
        except (FootageError, SimulatorError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            cameras.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    @staticmethod
    def wait(cameras: SimulatedCameras, stopping: threading.Event) -> None:
        """Until a signal comes; the server dying on its own is an error."""
        while not stopping.wait(0.5):
            process = cameras.process
            if process is None or process.poll() is not None:
                raise SimulatorError(f"the RTSP server stopped: {cameras.log_tail()}")

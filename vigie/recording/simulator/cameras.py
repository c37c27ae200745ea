"""``SimulatedCameras``: start the standalone RTSP server as a child and drive it.

The server (rtsp_server.py) runs under Debian's ``/usr/bin/python3``, the interpreter
that has GStreamer's bindings (``python3-gi``); this side only prepares the clips,
writes the server's configuration, and talks to it over its stdin/stdout.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from vigie.recording.simulator.footage import (
    CODECS,
    Clip,
    footage_clips,
    parse_variant,
    pattern_clip,
    variant_clip,
)

Credentials = tuple[str, str]

SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
# Overridable for systems whose python3 with ``gi`` lives elsewhere.
GI_PYTHON = os.environ.get("VIGIE_GI_PYTHON", "/usr/bin/python3")
START_TIMEOUT = 60.0  # loading clips and binding the port; generous for a busy machine
COMMAND_TIMEOUT = 10.0


class SimulatorError(RuntimeError):
    """The simulated cameras could not start or did not answer."""


def camera_specs(count: int, clips: Sequence[Clip]) -> list[dict[str, str | float]]:
    """Assign clips round-robin and stagger the cameras sharing a clip over its loop."""
    specs: list[dict[str, str | float]] = []
    for index in range(count):
        clip = clips[index % len(clips)]
        sharing = len(range(index % len(clips), count, len(clips)))
        rank = index // len(clips)
        specs.append(
            {
                "path": f"/cam{index + 1}",
                "clip": clip.path,
                "codec": clip.codec,
                "fps": clip.fps,
                "offset": round(clip.duration * rank / sharing, 3),
            }
        )
    return specs


class SimulatedCameras:
    """N RTSP cameras on ``rtsp://HOST:PORT/cam1`` … ``/camN``, looping cached footage.

    ``with SimulatedCameras(3) as cams: cams.urls`` — port 0 picks a free port.
    Cameras are numbered from 1. ``stop_camera(i)`` disconnects camera i's clients and
    answers 404 until ``start_camera(i)``; ``freeze_camera(i)`` keeps connections open
    but sends nothing until ``thaw_camera(i)``. ``stop()`` (or leaving the ``with``)
    ends the server process, killing it if it does not quit in time.

    ``auth=("user", "password")`` makes every camera ask for credentials (Digest; none
    or a wrong pair gets 401 Unauthorized); ``url(i, user, password)`` puts them in the
    URL.
    ``variants={3: ["h264", "h265"]}`` gives camera 3 the streams it serves in turn: the
    first from the start, the next after each ``switch_camera(3)`` (the camera is
    reconfigured: its clients are disconnected, and reconnect to the new stream).
    Variant names: ``h264``/``h265`` (the camera's footage in that codec),
    ``h265@640x360`` (a small test pattern), ``h264@1280x720+640x360`` (a pattern whose
    size changes mid-loop, inside one session), ``aac`` (audio only, no video).
    """

    def __init__(
        self,
        count: int,
        port: int = 0,
        footage: str | Path | None = None,
        codec: str = "h264",
        cache: Path | None = None,
        host: str = "127.0.0.1",
        *,
        auth: Credentials | None = None,
        variants: Mapping[int, Sequence[str]] | None = None,
    ) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        if codec not in CODECS:
            raise ValueError(f"codec must be one of {', '.join(CODECS)}")
        self.count, self.port, self.codec, self.host = count, port, codec, host
        self.footage = Path(footage) if footage is not None else None
        self.cache = cache
        self.auth = auth
        self.variants: dict[int, list[str]] = {i: list(v) for i, v in (variants or {}).items()}
        for index in self.variants:
            self._check_index(index)
        for names in self.variants.values():
            if not names:
                raise ValueError("a camera's variants cannot be empty")
            for name in names:
                parse_variant(name)
        self.clips: list[Clip] = []
        self.variant_clips: dict[int, list[Clip]] = {}
        self.process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._workdir: str | None = None
        self._lock = threading.Lock()

    # -- life cycle -------------------------------------------------------------------

    def prepare(self) -> list[Clip]:
        """Make (or find in the cache) the clips; the slow part on a first run."""
        if not self.clips:
            if self.footage is not None:
                self.clips = footage_clips(self.footage, self.codec, self.cache)
            else:
                self.clips = [pattern_clip(self.codec, self.cache)]
            for index, names in self.variants.items():
                regular = self.clips[(index - 1) % len(self.clips)]
                self.variant_clips[index] = [variant_clip(n, regular, self.cache) for n in names]
        return self.clips

    def server_config(self) -> dict[str, object]:
        specs: list[dict[str, object]] = []
        for index, base in enumerate(camera_specs(self.count, self.prepare()), start=1):
            spec: dict[str, object] = dict(base)
            clips = self.variant_clips.get(index)
            if clips:
                spec["variants"] = [{"clip": c.path, "codec": c.codec, "fps": c.fps} for c in clips]
            specs.append(spec)
        config: dict[str, object] = {"port": self.port, "cameras": specs}
        if self.auth is not None:
            config["auth"] = list(self.auth)
        return config

    def start(self) -> list[str]:
        if self.process is not None:
            return self.urls
        if shutil.which(GI_PYTHON) is None:
            raise SimulatorError(f"{GI_PYTHON} not found (Debian packages python3-gi, …)")
        config = self.server_config()
        self._workdir = tempfile.mkdtemp(prefix="vigie-simulator-")
        config_path = Path(self._workdir) / "config.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")
        log = open(Path(self._workdir) / "server.log", "w", encoding="utf-8")  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                [GI_PYTHON, str(SERVER_SCRIPT), str(config_path)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                bufsize=1, start_new_session=True,
            )  # fmt: skip
        finally:
            log.close()
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        try:
            self.port = int(self._expect("ready", START_TIMEOUT).split()[1])
        except BaseException:
            self.stop()
            raise
        return self.urls

    def stop(self) -> None:
        """Ask the server to quit, then terminate, then kill; always reap it."""
        process, self.process = self.process, None
        if process is not None:
            try:
                if process.poll() is None and process.stdin is not None:
                    process.stdin.write("quit\n")
                    process.stdin.flush()
                process.wait(timeout=5)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self._kill(process)
            finally:
                if process.poll() is None:
                    self._kill(process)
                for stream in (process.stdin, process.stdout):
                    if stream is not None:
                        stream.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    @staticmethod
    def _kill(process: subprocess.Popen[str]) -> None:
        for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 10.0)):
            if process.poll() is not None:
                return
            process.send_signal(sig)
            try:
                process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> SimulatedCameras:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses and control ----------------------------------------------------------

    @property
    def urls(self) -> list[str]:
        return [self.url(index) for index in range(1, self.count + 1)]

    def url(self, index: int, user: str | None = None, password: str | None = None) -> str:
        """Camera ``index``'s URL; with ``user`` (and ``password``), carrying them."""
        self._check_index(index)
        who = ""
        if user is not None:
            who = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "") + "@"
        return f"rtsp://{who}{self.host}:{self.port}/cam{index}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def stop_camera(self, index: int) -> None:
        self._command("stop", index)

    def start_camera(self, index: int) -> None:
        self._command("start", index)

    def freeze_camera(self, index: int) -> None:
        self._command("freeze", index)

    def thaw_camera(self, index: int) -> None:
        self._command("thaw", index)

    def switch_camera(self, index: int) -> None:
        """Camera ``index`` moves to its next variant; its clients are disconnected."""
        if index not in self.variants:
            raise ValueError(f"camera {index} has no variants to switch between")
        self._command("switch", index)

    def _check_index(self, index: int) -> None:
        if not 1 <= index <= self.count:
            raise ValueError(f"camera index {index} outside 1..{self.count}")

    def _command(self, verb: str, index: int) -> None:
        self._check_index(index)
        with self._lock:
            process = self.process
            if process is None or process.stdin is None or process.poll() is not None:
                raise SimulatorError(f"the simulator is not running ({self.log_tail()})")
            process.stdin.write(f"{verb} {index}\n")
            process.stdin.flush()
            self._expect(f"ok {verb} {index}", COMMAND_TIMEOUT)

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._lines.put(line.strip())
        self._lines.put(None)

    def _expect(self, prefix: str, timeout: float) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise SimulatorError(f"no {prefix!r} from the simulator in {timeout:.0f} s") from None
        if line is None or not line.startswith(prefix):
            raise SimulatorError(f"simulator: {line or 'exited'} ({self.log_tail()})")
        return line

    def log_tail(self) -> str:
        """The last lines the server wrote on stderr (GStreamer warnings, tracebacks)."""
        if self._workdir is None:
            return "no log"
        try:
            text = (Path(self._workdir) / "server.log").read_text(encoding="utf-8")
        except OSError:
            return "no log"
        return " / ".join(text.strip().splitlines()[-3:]) or "empty log"

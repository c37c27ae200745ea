"""The PyAV ingest: one thread per camera inside the recorder, stream copy only.

Why threads and not one FFmpeg per camera: measured on 40 streams (docs/recorder.md),
an FFmpeg process costs ~11 MB of private memory per camera, the whole recorder with
PyAV threads ~1.9 MB per camera, because the libraries are loaded once; reading,
remuxing and writing run in FFmpeg's C code with Python's lock released (the CPU is
1.15–1.35 × a bare FFmpeg's, Python's per-packet work and malloc). What a process gave for free is
rebuilt here: each thread has its own input and output, an exception ends only its
camera, a blocked read is cut by PyAV's interrupt timeout, and a thread that is
``kill``-ed never writes again.

It writes the same files as the FFmpeg engine (MPEG-TS segments named by their UTC
start, cut on the first keyframe after the camera's staggered boundary) and, instead
of a second HLS output, a live playlist of byte ranges of the segment being written
(``livewindow``).
"""

from __future__ import annotations

import collections
import ctypes
import errno
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av

from vigie.recording import supervision
from vigie.recording.index import Media
from vigie.recording.ingest import STDERR_LINES, IngestSpec, RecentFiles, remember
from vigie.recording.livewindow import LiveWindow
from vigie.recording.streamparams import StreamParams

log = logging.getLogger("vigie.recorder")

# Without it the muxer writes in 32 kB chunks: kill -9 would lose up to that, the
# byte watchdog would take a slow stream for a stalled one, and live byte ranges
# would point past the end of the file.
OUTPUT_OPTIONS = {"flush_packets": "1"}
KILLED = -9
M_ARENA_MAX, M_MMAP_THRESHOLD = -8, -3  # glibc's mallopt parameters
_CREDENTIALS = re.compile(r"(rtsps?://)[^/@\s]*@")


def hide_credentials(text: str) -> str:
    """Messages end up in the UI and the API: never show a camera's password."""
    return _CREDENTIALS.sub(r"\1***@", text)


class NoVideo(Exception):
    pass


@dataclass(frozen=True)
class AvOptions:
    open_timeout_s: float
    read_timeout_s: float
    input_options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def for_policy(cls, policy: supervision.Policy) -> AvOptions:
        # The read timeout fires before the recorder's byte watchdog, so a frozen
        # source ends with its own message; the watchdog stays for true hangs.
        return cls(
            open_timeout_s=policy.watchdog_s,
            read_timeout_s=max(0.5, policy.watchdog_s * 0.6),
        )

    def open_args(self, url: str) -> dict[str, Any]:
        """``av.open`` arguments. For RTSP, FFmpeg's own socket timeout: PyAV's
        ``timeout=`` works through an interrupt callback that takes Python's lock on
        every socket read (~200 a second per camera), measured at +25 % CPU for 40
        cameras. FFmpeg's fires after about twice its value, hence the half."""
        options = dict(self.input_options)
        if url.startswith(("rtsp://", "rtsps://")):
            options.setdefault("rtsp_transport", "tcp")  # UDP loses packets on busy links
            options.setdefault("timeout", str(int(self.read_timeout_s / 2 * 1_000_000)))
            return {"options": options}
        return {"options": options, "timeout": (self.open_timeout_s, self.read_timeout_s)}


class AvEngine:
    """Starts a PyAV ingest thread per camera (the recorder's default engine)."""

    name = "pyav"

    def __init__(self, options: AvOptions) -> None:
        self.options = options

    def start(self, spec: IngestSpec) -> AvIngest:
        return AvIngest(spec, self.options)


class SegmentWriter:
    """Writes one connection's packets into successive segment files."""

    def __init__(self, spec: IngestSpec, template: Any, live: LiveWindow | None) -> None:
        self.spec = spec
        self.template = template
        self.live = live
        self.out: Any = None
        self.stream: Any = None
        self.path: Path | None = None
        self.name = ""
        self.boundary = 0.0
        self.last_dts: int | None = None
        self.step = 0
        self.tb = float(template.time_base) if template.time_base else 1 / 90_000
        # The output has one stream, index 0: re-point packets only when the camera's
        # video is not its first stream.
        self.restream = template.index != 0
        self.params = StreamParams(template)
        # The media facts and picture counts of recent files, for their index rows.
        self.file_media: dict[str, Media] = {}
        self.frames = 0
        self.file_frames: dict[str, int] = {}

    def write(self, packet: Any) -> None:
        """The hot path (every packet of every camera): as little Python as possible;
        the clock is read on keyframes only."""
        if packet.is_keyframe:
            wall = time.time()
            changed = self.params.changed(packet)
            if self.out is None or wall >= self.boundary or changed:
                self._rotate(wall)
            if self.out is not None and self.live is not None and self.path is not None:
                pts = packet.pts if packet.pts is not None else (packet.dts or 0)
                self.live.keyframe(self.name, _size(self.path), pts * self.tb, wall)
        if self.out is None:
            return  # a segment starts on a keyframe: wait for the first one
        dts, last = packet.dts, self.last_dts
        if dts is None or last is None or dts <= last:
            self._fix_time(packet)
        else:
            self.step, self.last_dts = dts - last, dts
        if self.restream:
            packet.stream = self.stream
        self.out.mux_one(packet)
        self.frames += 1

    def _fix_time(self, packet: Any) -> None:
        """Timestamps pass through as FFmpeg's RTSP demuxer makes them (from 0 at the
        connection, continuous across this connection's files). The rare packet
        without one, or going back, is patched: a muxer refuses it, and FFmpeg's CLI
        patches it too."""
        dts = packet.dts if packet.dts is not None else packet.pts
        if dts is None:
            dts = (self.last_dts or 0) + max(self.step, 1)
        if self.last_dts is not None and dts <= self.last_dts:
            dts = self.last_dts + 1
        pts = packet.pts if packet.pts is not None else dts
        packet.dts, packet.pts = dts, max(pts, dts)
        self.last_dts = dts

    def _rotate(self, wall: float) -> None:
        start = datetime.fromtimestamp(wall, UTC)
        name = f"{start:%Y%m%dT%H%M%SZ}.ts"
        if self.out is not None and name <= self.name:
            return  # same second as the open file: its name is taken
        self.close()
        folder = self.spec.segment_root / f"{start:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        self.path, self.name = folder / name, name
        remember(self.file_media, name, self.params.media)
        self.frames = 0
        self.out = av.open(str(self.path), "w", format="mpegts", container_options=OUTPUT_OPTIONS)
        self.stream = self.out.add_stream_from_template(self.template)
        period, offset = self.spec.segment_time_s, self.spec.offset_s
        self.boundary = supervision.next_boundary(wall, period, offset)

    def close(self) -> None:
        if self.out is None:
            return
        out, self.out = self.out, None
        out.close()
        remember(self.file_frames, self.name, self.frames)
        if self.live is not None and self.path is not None and self.last_dts is not None:
            end = (self.last_dts + self.step) * self.tb
            self.live.close_file(self.name, _size(self.path), end)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0  # PyAV creates the file with its first packet


class AvIngest(RecentFiles):
    """One camera's ingest thread, with the interface of ``ingest.FfmpegProcess``."""

    def __init__(self, spec: IngestSpec, options: AvOptions) -> None:
        self.spec = spec
        self.options = options
        self.errors: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self.returncode: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._killed = False
        self._got_packet = False
        self._last_packet = 0.0
        self.writer: SegmentWriter | None = None
        self.thread = threading.Thread(
            target=self._run, daemon=True, name=f"ingest-{spec.camera_id}"
        )
        self.thread.start()

    @property
    def pid(self) -> str:
        return f"thread {self.thread.native_id}"

    def _run(self) -> None:
        code = 1
        try:
            self._record()
            code = 0
            if self._silent_for() >= self.options.read_timeout_s / 2:
                # FFmpeg's RTSP demuxer reports its socket timeout as an end of stream.
                self.errors.append(self._timeout_message())
        except NoVideo as exc:
            self.errors.append(str(exc))
        except av.error.ExitError:
            self.errors.append(self._timeout_message())
        except (av.FFmpegError, OSError) as exc:
            if getattr(exc, "errno", None) == errno.ETIMEDOUT:
                self.errors.append(self._timeout_message())
            else:
                self.errors.append(hide_credentials(str(exc)))
        except Exception as exc:  # one camera's bug must not end the recorder
            log.exception("camera %s: ingest failed", self.spec.camera_id)
            self.errors.append(f"internal error: {exc.__class__.__name__}: {exc}")
        finally:
            with self._lock:
                if not self._killed:
                    self.returncode = code

    def _silent_for(self) -> float:
        return time.monotonic() - self._last_packet if self._got_packet else 0.0

    def _timeout_message(self) -> str:
        if self._got_packet:
            return f"no data from the camera for {self._silent_for():.0f} s"
        return "no answer from the camera (timeout)"

    def _record(self) -> None:
        with av.open(self.spec.url, **self.options.open_args(self.spec.url)) as source:
            if not source.streams.video:
                raise NoVideo("no video stream in the source")
            video = source.streams.video[0]
            live = LiveWindow(self.spec.live_root, time.time()) if self.spec.live else None
            writer = self.writer = SegmentWriter(self.spec, video, live)
            try:
                self._pump(source, video, writer)
            finally:
                with self._lock:
                    if not self._killed:
                        writer.close()

    def _pump(self, source: Any, video: Any, writer: SegmentWriter) -> None:
        stop, lock, clock = self._stop, self._lock, time.monotonic
        for packet in source.demux(video):
            if stop.is_set():
                return
            if packet.size == 0:
                continue  # the flush packet PyAV yields at the end of a stream
            self._got_packet = True
            self._last_packet = clock()
            with lock:
                if self._killed:
                    return
                writer.write(packet)

    # ------------------------------------------------------------ the process interface

    @property
    def media(self) -> Media | None:
        """What ffprobe would say of the stream now, known here for free."""
        return self.writer.params.media if self.writer is not None else None

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self._stop.set()

    def stop(self, grace_s: float = 3.0) -> int:
        """Ends after the packet being read (a frozen source: after the read timeout,
        or ``grace_s``, whichever comes first; then as ``kill``)."""
        self._stop.set()
        self.thread.join(grace_s)
        return self.kill() if self.thread.is_alive() else self.wait()

    def kill(self) -> int:
        """From now on this ingest writes nothing; its thread ends on its own at the
        next packet or read timeout (a blocked read cannot be interrupted from outside)."""
        self._stop.set()
        with self._lock:
            if self.returncode is None:
                self._killed = True
                self.returncode = KILLED
        return self.wait()

    def wait(self) -> int:
        if self.returncode is None:
            self.thread.join()
        return self.returncode if self.returncode is not None else KILLED

    def error_lines(self) -> list[str]:
        return list(self.errors)


def tune_malloc() -> None:
    """Call once at the start of the recorder process, before its ingest threads.

    glibc gives each thread that allocates its own arena (up to 8 per core), and after
    the first large block is freed it raises its mmap threshold, so the buffers FFmpeg
    allocates while probing a stream stay in the heap for good. Measured on 40
    cameras: 234 MB of private memory by default, 68 MB with 2 arenas and large
    blocks always mapped (and returned) apart. Other C libraries: nothing to do."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, 2)
        libc.mallopt(M_MMAP_THRESHOLD, 64 * 1024)
    except (OSError, AttributeError):
        log.info("not glibc: malloc left as it is")


def engine_for(name: str, policy: supervision.Policy) -> Any:
    """``rtp`` (one I/O thread for every RTSP camera, others to PyAV), ``pyav`` (a
    thread per camera) or ``ffmpeg`` (one FFmpeg process per camera)."""
    from vigie.recording.ingest import FfmpegEngine, rtsp_input
    from vigie.recording.rtp.engine import RtpEngine

    if name == "rtp":
        return RtpEngine(AvOptions.for_policy(policy))
    if name == "pyav":
        return AvEngine(AvOptions.for_policy(policy))
    if name == "ffmpeg":
        return FfmpegEngine(rtsp_input(policy.rtsp_timeout_us))
    raise ValueError(f"unknown ingest engine {name!r} (rtp, pyav or ffmpeg)")

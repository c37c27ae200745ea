"""The one place that builds FFmpeg and ffprobe command lines for recording.

One FFmpeg child per camera, stream copy only (nothing is decoded), two outputs from the
same input:
- MPEG-TS segments named by their UTC start (``paths.segment_relpath``): MPEG-TS stays
  readable up to its last packet when the writer is killed, a plain MP4 does not;
  with ``-c copy`` the segment muxer cuts on the first keyframe after each boundary;
- a short live HLS window (``paths.live_dir``) for the browser.
Rotation is staggered: ``-segment_atclocktime`` with a per-camera
``-segment_clocktime_offset`` cuts each camera at its own second of the minute, and keeps
that second across restarts (FFmpeg reads the wall clock; TZ=UTC makes names UTC too).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigie.recording import paths

if TYPE_CHECKING:
    from vigie.recording.index import Media

log = logging.getLogger("vigie.recorder")

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
SEGMENT_PATTERN = "%Y-%m-%d/%Y%m%dT%H%M%SZ.ts"  # must match paths.segment_relpath
STDERR_LINES = 20

InputArgs = Callable[[str], list[str]]


def rtsp_input(timeout_us: int) -> InputArgs:
    """Input options for a camera: RTSP over TCP (UDP loses packets on busy links)."""

    def args(url: str) -> list[str]:
        return ["-rtsp_transport", "tcp", "-timeout", str(timeout_us), "-i", url]

    return args


def looped_file_input(path: str) -> InputArgs:
    """A local file played in real time, forever: a stand-in camera for tests."""

    def args(url: str) -> list[str]:
        return ["-re", "-stream_loop", "-1", "-i", path]

    return args


@dataclass(frozen=True)
class IngestSpec:
    camera_id: int
    url: str
    pool_path: str
    segment_time_s: float
    offset_s: float
    live: bool = True

    @property
    def segment_root(self) -> Path:
        return paths.segment_dir(self, self.camera_id)

    @property
    def path(self) -> str:  # what paths.* reads from a pool
        return self.pool_path

    @property
    def live_root(self) -> Path:
        return paths.live_dir(self, self.camera_id)


def build_command(spec: IngestSpec, input_args: InputArgs) -> list[str]:
    cmd = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "warning"]
    cmd += input_args(spec.url)
    cmd += ["-map", "0:v:0", "-c", "copy", "-f", "segment", "-segment_format", "mpegts"]
    # Without it the inner muxer writes in 256 kB chunks (~1 s at 2 Mbit/s, 8 s for a
    # 256 kbit/s stream): kill -9 would lose up to that, and the byte watchdog would
    # take a slow stream for a stalled one. Measured: the file then grows per frame.
    cmd += ["-segment_format_options", "flush_packets=1"]
    cmd += ["-segment_time", _num(spec.segment_time_s), "-segment_atclocktime", "1"]
    cmd += ["-segment_clocktime_offset", _num(spec.offset_s), "-reset_timestamps", "1"]
    cmd += ["-strftime", "1", str(spec.segment_root / SEGMENT_PATTERN)]
    if spec.live:
        live = spec.live_root
        cmd += ["-map", "0:v:0", "-c", "copy", "-f", "hls", "-hls_time", "2"]
        cmd += ["-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist"]
        # Epoch-based sequence numbers keep growing across restarts, so a player
        # following the playlist never sees the sequence go back.
        cmd += ["-hls_start_number_source", "epoch"]
        cmd += ["-hls_segment_filename", str(live / "%d.ts"), str(live / "index.m3u8")]
    return cmd


def remember(recent: dict[str, Any], name: str, value: Any) -> None:
    """A fact of a file the recorder will ask about when it closes the file's row (it
    asks within a few seconds: the last 8 are kept)."""
    recent[name] = value
    while len(recent) > 8:
        del recent[next(iter(recent))]


class RecentFiles:
    """What an in-process ingest (PyAV's thread, the RTP loop) says of the files its
    writer closed lately: their media facts and picture counts, for their index rows."""

    writer: Any

    def media_of(self, file_name: str) -> Media | None:
        return self.writer.file_media.get(file_name) if self.writer is not None else None

    def frames_of(self, file_name: str) -> int | None:
        return self.writer.file_frames.get(file_name) if self.writer is not None else None


class FfmpegEngine:
    """Starts one FFmpeg process per camera (``vigie recorder --ingest ffmpeg``)."""

    name = "ffmpeg"

    def __init__(self, input_args: InputArgs) -> None:
        self.input_args = input_args

    def start(self, spec: IngestSpec) -> FfmpegProcess:
        return FfmpegProcess(build_command(spec, self.input_args))


def _num(value: float) -> str:
    return f"{value:g}"


def _die_with_parent() -> None:
    # If the recorder is killed (kill -9), its children must not keep writing: a new
    # recorder would then run two writers per camera. PR_SET_PDEATHSIG = 1.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


class FfmpegProcess:
    """One running FFmpeg child, its stderr read by a thread so that it never blocks."""

    def __init__(self, cmd: list[str]) -> None:
        env = {**os.environ, "TZ": "UTC"}
        self.cmd = cmd
        self.errors: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            preexec_fn=_die_with_parent,  # only a prctl call: safe with threads
        )
        self._reader = threading.Thread(target=self._read, daemon=True, name=f"ffmpeg-{self.pid}")
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self.errors.append(line)
        self.proc.stderr.close()

    def media_of(self, file_name: str) -> None:
        return None  # ffprobe on the first file tells (index.close_segment)

    def frames_of(self, file_name: str) -> None:
        return None  # FFmpeg does not say

    def poll(self) -> int | None:
        return self.proc.poll()

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()

    def stop(self, grace_s: float = 3.0) -> int:
        """SIGTERM (FFmpeg then closes its files properly), SIGKILL if it lingers."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.wait()

    def kill(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        return self.wait()

    def wait(self) -> int:
        code = self.proc.wait()
        # Let the reader drain what FFmpeg wrote last: it explains the exit.
        self._reader.join(timeout=2)
        return code

    def error_lines(self) -> list[str]:
        return list(self.errors)


def prepare_dirs(spec: IngestSpec, days: list[str]) -> None:
    """The segment muxer does not create directories: make today's and tomorrow's."""
    for day in days:
        (spec.segment_root / day).mkdir(parents=True, exist_ok=True)
    if spec.live:
        clear_live(spec)
        spec.live_root.mkdir(parents=True, exist_ok=True)


def clear_live(spec: IngestSpec) -> None:
    """The live window is transient: a stopped ingest leaves no stale playlist behind."""
    shutil.rmtree(spec.live_root, ignore_errors=True)


# ---------------------------------------------------------------- ffprobe


@dataclass(frozen=True)
class Probe:
    duration_s: float | None
    codec: str = ""
    width: int | None = None
    height: int | None = None


def probe(path: Path, *, streams: bool) -> Probe | None:
    """Duration (first to last packet) and, if asked, the video codec and size."""
    entries = "format=duration" + (":stream=codec_name,width,height" if streams else "")
    cmd = [FFPROBE, "-v", "error", "-select_streams", "v:0", "-show_entries", entries]
    cmd += ["-of", "json", str(path)]
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=20, check=False)
        data = json.loads(out.stdout or b"{}")
    except (subprocess.TimeoutExpired, ValueError, OSError) as exc:
        log.warning("ffprobe %s: %s", path, exc)
        return None
    fmt = data.get("format") or {}
    try:
        duration = float(fmt["duration"]) if "duration" in fmt else None
    except ValueError:
        duration = None
    stream = (data.get("streams") or [{}])[0]
    return Probe(duration, stream.get("codec_name", ""), stream.get("width"), stream.get("height"))

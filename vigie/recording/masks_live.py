"""The masked live view: one encoder per masked camera, started when someone asks for
its live playlist, shared by every viewer and every web worker, stopped when nobody
has asked for ``IDLE_SECONDS``.

Coordination goes through files in ``DATA_DIR/masked-live/<camera id>/`` (gunicorn
runs several processes; nothing else is shared):

- ``encoder.lock``: held (flock) by the running encoder; a second one exits at once;
- ``viewed``: touched by the live views on every request; its age stops the encoder;
- ``job.json``: what the encoder needs (polygons, where the recorder writes), written
  by the view: the encoder never touches the database. A changed job (a mask edited)
  stops the encoder; the next request starts a new one;
- ``index.m3u8`` + ``m<n>.ts``: the masked HLS window the live endpoints serve.

**Source**: the segment file the recorder is writing, followed through the
recorder's own live playlist (``livewindow``), rather than a second RTSP session:
cameras often allow few sessions, the town's links (fibre loops, radio) carry each
stream once, the web side needs no camera credentials, and the masked view shows
exactly what is recorded. With the FFmpeg ingest the playlist's parts are read in turn.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from vigie.recording import livewindow, masking

logger = logging.getLogger(__name__)

LIVE_DIR = "masked-live"
IDLE_SECONDS = 30.0
PLAYLIST = "index.m3u8"
PART_NAME = re.compile(r"^m[0-9]{1,20}\.ts$")
WAIT_FOR_PLAYLIST_S = 12.0
POLL_S = 0.1
ENTRY = re.compile(r"(?:#EXT-X-BYTERANGE:(\d+)@(\d+)\n)?([A-Za-z0-9_.-]+\.ts)$", re.M)


def folder_for(camera_id: int) -> Path:
    return Path(settings.DATA_DIR) / LIVE_DIR / str(int(camera_id))


# --------------------------------------------------------------------------- web side


def job_for(camera: Any, polygons: masking.Polygons) -> dict[str, Any]:
    from vigie.recording.paths import live_dir, segment_dir
    from vigie.recording.playback import live_pools

    pools = live_pools(camera)
    return {
        "camera": camera.pk,
        "key": masking.mask_key(polygons),
        "polygons": [[list(p) for p in polygon] for polygon in polygons],
        "live_dirs": [str(live_dir(pool, camera.pk)) for pool in pools],
        "segment_dirs": [str(segment_dir(pool, camera.pk)) for pool in pools],
    }


def running(folder: Path) -> bool:
    """Whether an encoder holds this folder's lock now."""
    lock = folder / "encoder.lock"
    if not lock.exists():
        return False
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _write_job(folder: Path, job: dict[str, Any]) -> None:
    path = folder / "job.json"
    text = json.dumps(job, sort_keys=True)
    with contextlib.suppress(FileNotFoundError):
        if path.read_text() == text:
            return
    tmp = folder / f".job.{os.getpid()}.tmp"
    tmp.write_text(text)
    os.replace(tmp, path)


def clear_window(folder: Path) -> None:
    """Remove a dead encoder's playlist and parts: never serve a stale window."""
    for entry in folder.glob("*.ts"):
        entry.unlink(missing_ok=True)
    (folder / PLAYLIST).unlink(missing_ok=True)


Spawner = Callable[[int, Path], None]


def spawn(camera_id: int, folder: Path) -> None:
    """Start ``vigie mask-live`` detached (its own session: it outlives the request
    and the worker that started it)."""
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "vigie.settings")
    command = [sys.executable, "-m", "django", "mask_live", "--settings", module]
    command += ["--camera", str(camera_id), "--dir", str(folder)]
    with (folder / "encoder.log").open("ab") as log:
        subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )


def ensure_running(camera: Any, polygons: masking.Polygons, starter: Spawner = spawn) -> Path:
    """Mark the camera as watched and make sure its masked encoder runs. Returns the
    folder where its playlist appears."""
    folder = folder_for(camera.pk)
    folder.mkdir(parents=True, exist_ok=True)
    _write_job(folder, job_for(camera, polygons))
    touch(camera.pk)
    if not running(folder):
        clear_window(folder)
        starter(camera.pk, folder)
    return folder


def touch(camera_id: int) -> None:
    viewed = folder_for(camera_id) / "viewed"
    viewed.parent.mkdir(parents=True, exist_ok=True)
    viewed.touch()


def playlist_text(folder: Path, wait_s: float = WAIT_FOR_PLAYLIST_S) -> str | None:
    """The masked playlist, waiting for a starting encoder's first parts."""
    deadline = time.monotonic() + wait_s
    while True:
        with contextlib.suppress(FileNotFoundError):
            return (folder / PLAYLIST).read_text()
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


def part_path(camera_id: int, name: str) -> Path | None:
    """A masked live part, by the only names the encoder writes."""
    if not PART_NAME.fullmatch(name):
        return None
    folder = folder_for(camera_id)
    path = folder / name
    if path.is_file() and not path.is_symlink():
        return path
    return None


# --------------------------------------------------------------------------- the source


class Stop(Exception):
    """Nobody watches any more, or the job changed."""


class TailReader:
    """A file-like reader of the recorder's current footage that never ends: it
    follows the segment file being written, then the next one, as the recorder's live
    playlist lists them. ``should_stop()`` is asked while waiting."""

    def __init__(self, job: dict[str, Any], should_stop: Callable[[], bool]) -> None:
        self.live_dirs = [Path(p) for p in job["live_dirs"]]
        self.segment_dirs = [Path(p) for p in job["segment_dirs"]]
        self.should_stop = should_stop
        self.current: tuple[str, Path] | None = None
        self.handle: IO[bytes] | None = None

    def entries(self) -> list[tuple[str, int]]:
        """(name, offset) of the recorder's live playlist entries, oldest first."""
        for folder in self.live_dirs:
            with contextlib.suppress(FileNotFoundError):
                text = (folder / livewindow.PLAYLIST).read_text()
                return [(m[3], int(m[2] or 0)) for m in ENTRY.finditer(text)]
        return []

    def _resolve(self, name: str) -> Path | None:
        if name.startswith(livewindow.PART_PREFIX):
            file_name = name.removeprefix(livewindow.PART_PREFIX)
            day = f"{file_name[0:4]}-{file_name[4:6]}-{file_name[6:8]}"
            candidates = [d / day / file_name for d in self.segment_dirs]
        else:
            candidates = [d / name for d in self.live_dirs]
        return next((p for p in candidates if p.is_file()), None)

    def _open(self, name: str, offset: int) -> bool:
        path = self._resolve(name)
        if path is None:
            return False
        if self.handle is not None:
            self.handle.close()
        self.handle = path.open("rb")
        self.handle.seek(offset)
        self.current = (name, path)
        return True

    def _next(self) -> bool:
        """Move on to the file after the current one, if the playlist lists one."""
        entries = self.entries()
        if self.current is None:
            return bool(entries) and self._open(*entries[-1])  # the newest part
        names = [name for name, _offset in entries]
        if self.current[0] not in names:
            return bool(entries) and self._open(*entries[-1])  # fell behind: catch up
        later = [e for e in entries[names.index(self.current[0]) :] if e[0] != self.current[0]]
        # A new file is read from its start: its first bytes are the PAT/PMT.
        return bool(later) and self._open(later[0][0], 0)

    def read(self, size: int = -1) -> bytes:
        while True:
            if self.handle is not None:
                data = self.handle.read(size if size > 0 else 1 << 16)
                if data:
                    return data
            if self.should_stop():
                return b""
            if not self._next():
                time.sleep(POLL_S)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


# --------------------------------------------------------------------------- the encoder


def run(folder: Path, *, idle_s: float = IDLE_SECONDS, preset: str = "superfast") -> int:
    """The encoder's life: take the lock (or leave: another runs), encode while
    someone watches, remove the window when done. Returns an exit code."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "encoder.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0
        try:
            job_file = folder / "job.json"
            job = json.loads(job_file.read_text())
            job_mtime = job_file.stat().st_mtime
            stopper = _stopper(folder, job_mtime, idle_s)
            encode_live(job, folder, stopper, preset=preset)
        except Stop:
            pass
        finally:
            clear_window(folder)
    return 0


def _stopper(folder: Path, job_mtime: float, idle_s: float) -> Callable[[], bool]:
    def should_stop() -> bool:
        try:
            idle = time.time() - (folder / "viewed").stat().st_mtime
            changed = (folder / "job.json").stat().st_mtime != job_mtime
        except FileNotFoundError:
            return True
        return idle > idle_s or changed

    return should_stop


def encode_live(
    job: dict[str, Any], folder: Path, should_stop: Callable[[], bool], *, preset: str
) -> None:
    """Decode the tail of the recorder's footage, mask, encode, write the HLS window."""
    import av

    polygons: masking.Polygons = tuple(
        tuple((float(x), float(y)) for x, y in polygon) for polygon in job["polygons"]
    )
    reader = TailReader(job, should_stop)
    source: Any = av.open(reader, format="mpegts", options={"analyzeduration": "1000000"})
    output = stream = None
    try:
        video = source.streams.video[0]
        rate = float(video.average_rate or video.guessed_rate or 25)
        clock = _Clock(rate)
        last_pts, checked = -1, time.monotonic()
        for frame in source.decode(video):
            if frame.time is None:
                continue
            if output is None:
                output, stream = _open_hls(folder, frame, rate, preset)
            at = clock.place(frame.time)
            masked = masking.mask_frame(frame, polygons)
            last_pts = masking.encode_frame(output, stream, masked, at, last_pts)
            if time.monotonic() - checked > 1.0:
                checked = time.monotonic()
                if should_stop():
                    raise Stop
    finally:
        if output is not None:
            with contextlib.suppress(Exception):
                output.close()
        source.close()
        reader.close()


class _Clock:
    """Output times that never go back nor jump: a recorder reconnecting restarts its
    timestamps; the masked window just goes on."""

    def __init__(self, rate: float) -> None:
        self.step = 1.0 / rate
        self.offset: float | None = None
        self.last = -1.0

    def place(self, t: float) -> float:
        if self.offset is None:
            self.offset = -t
        at = t + self.offset
        if at <= self.last or at > self.last + 5.0:
            self.offset = self.last + self.step - t
            at = self.last + self.step
        self.last = at
        return at


def _open_hls(folder: Path, frame: Any, rate: float, preset: str) -> tuple[Any, Any]:
    import av

    options = {
        "hls_time": "2",
        "hls_list_size": "6",
        "hls_flags": "delete_segments+omit_endlist+independent_segments+temp_file",
        "hls_segment_filename": str(folder / "m%d.ts"),
        "hls_start_number_source": "epoch",
    }
    output = av.open(str(folder / PLAYLIST), "w", format="hls", options=options)
    stream = masking.add_h264_stream(
        output, frame.width, frame.height, rate, preset=preset, live=True, threads=1
    )
    return output, stream

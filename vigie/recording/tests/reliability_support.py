"""Shared by the reliability tests (issue 3): the recorder against the simulator, and
what can be observed of it afterwards — rows, files, states, gaps.

Everything here looks at outcomes (rows of the index, files on disk, what the files
contain), never at how the ingest works: the engine may be FFmpeg processes or PyAV
threads, the tests must not care.

Also a small script, run inside the environment of a ``CliEnv`` (a database of its
own) to seed a recorder node and read its index back as JSON:
``python -m vigie.recording.tests.reliability_support seed|report [JSON]``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

# Segments of ~3 s (the simulator sends a keyframe every 2 s), a 4 s watchdog, the
# inventory re-read every second: each test lasts seconds, not minutes.
SEGMENT_S, WATCHDOG_S, INVENTORY_S = 3, 4, 1
VIDEO_TYPES = {0x1B: "h264", 0x24: "hevc"}  # MPEG-TS stream_type of the PMT
CODEC_NAMES = {"h264": {"h264", "avc"}, "hevc": {"hevc", "h265"}}


def wait_for(
    what: str, cond: Callable[[], Any], timeout: float = 30, explain: Callable[[], str] = str
) -> Any:
    """Poll ``cond`` until it is true; on timeout say what was awaited and, with
    ``explain``, what the world looked like then."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}: {explain()}")
        time.sleep(0.25)


# ---------------------------------------------------------------- the recorder in a thread


def recorder_policy() -> Any:
    from vigie.recording.supervision import Policy

    return Policy(
        segment_time_s=SEGMENT_S,
        watchdog_s=WATCHDOG_S,
        inventory_every_s=INVENTORY_S,
        tick_s=0.25,
    )


class RecorderThread:
    """``vigie recorder`` in a thread of the test process, on the test database."""

    def __init__(self, node: Any) -> None:
        from vigie.recording.recorder import Recorder

        self.recorder = Recorder(node, recorder_policy())
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=self.recorder.run, args=(self.stop_event,), daemon=True, name="recorder"
        )
        self.thread.start()

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        """As SIGTERM: ingests stopped, segments closed, gaps opened."""
        self.stop_event.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the recorder did not stop within 60 s"


@pytest.fixture
def recorder_thread() -> Iterator[Callable[[Any], RecorderThread]]:
    started: list[RecorderThread] = []

    def start(node: Any) -> RecorderThread:
        started.append(RecorderThread(node))
        return started[-1]

    try:
        yield start
    finally:
        for running in started:
            if running.alive:
                running.stop()


def make_node(name: str, *pool_paths: Path, **pool_options: Any) -> tuple[Any, list[Any]]:
    """A recorder node and its pools (named after it: pool 1, pool 2…)."""
    from vigie.core.testing import as_system
    from vigie.inventory.models import RecorderNode, StoragePool

    with as_system():
        node = RecorderNode.objects.create(name=name)
        pools = [
            StoragePool.objects.create(
                name=f"{name}-pool{i}", node=node, path=str(path), **pool_options
            )
            for i, path in enumerate(pool_paths, start=1)
        ]
    return node, pools


def add_camera(member: Any, url: str, *, authorised: bool = True, **fields: Any) -> Any:
    """A camera of ``member`` streaming from ``url``; authorised and enabled unless told."""
    from vigie.core.testing import as_system, make_authorisation, make_camera

    camera = make_camera(member, rtsp_main=url, **fields)
    if authorised:
        make_authorisation(member, [camera])
        with as_system():
            camera.enabled = True
            camera.save()
    return camera


# ---------------------------------------------------------------- what can be observed

R = TypeVar("R")


def patient(call: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """``call(*args)``, retried while SQLite says a table is locked. The suite's SQLite
    test database lives in memory in shared-cache mode, where a table being written by
    the recorder's thread is locked for readers at once (no busy timeout applies)."""
    from django.db import OperationalError

    deadline = time.monotonic() + 15
    while True:
        try:
            return call(*args, **kwargs)
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def patiently(read: Callable[..., R]) -> Callable[..., R]:
    @functools.wraps(read)
    def wrapper(*args: Any, **kwargs: Any) -> R:
        return patient(read, *args, **kwargs)

    return wrapper


@patiently
def segments(camera: Any, closed: bool | None = None) -> list[Any]:
    from vigie.recording.models import Segment

    rows = Segment.objects.unrestricted().filter(camera=camera).select_related("storage_pool")
    if closed is not None:
        rows = rows.filter(closed=closed)
    return list(rows.order_by("start"))


@patiently
def state(camera: Any) -> Any:
    from vigie.recording.models import CameraRecordingState

    return CameraRecordingState.objects.unrestricted().filter(camera=camera).first()


def state_is(camera: Any, *names: str) -> bool:
    row = state(camera)
    return row is not None and row.state in names


@patiently
def gaps(camera: Any) -> list[Any]:
    from vigie.recording.models import Gap

    return list(Gap.objects.unrestricted().filter(camera=camera).order_by("start"))


def describe(*cameras: Any) -> str:
    """One line per camera (state, detail, segments, gaps): for timeout messages."""
    lines = []
    for camera in cameras:
        row = state(camera)
        seen = f"{row.state} ({row.detail!r}, restarts {row.restarts})" if row else "no state"
        causes = [g.cause for g in gaps(camera)]
        lines.append(f"{camera.name}: {seen}, {len(segments(camera))} segments, gaps {causes}")
    return "; ".join(lines)


def segment_file(seg: Any) -> Path:
    from vigie.recording import paths

    return paths.segment_file(seg)


def file_sha256(seg: Any) -> str:
    return hashlib.sha256(segment_file(seg).read_bytes()).hexdigest()


def pool_files(pool_path: str | Path) -> set[str]:
    """Relative paths of every segment file of a pool."""
    root = Path(pool_path)
    return {str(p.relative_to(root)) for p in (root / "segments").rglob("*.ts")}


def ts_stream_types(path: Path) -> set[int]:
    """Every elementary stream type announced by the PMTs anywhere in an MPEG-TS file:
    a file whose codec changed mid-way would announce both."""
    data = path.read_bytes()
    pmt_pids: set[int] = set()
    types: set[int] = set()
    for i in range(0, len(data) - 187, 188):
        packet = data[i : i + 188]
        pid = (packet[1] & 0x1F) << 8 | packet[2]
        if packet[0] != 0x47 or not packet[1] & 0x40 or (pid and pid not in pmt_pids):
            continue  # only the starts of PAT and PMT sections
        at = 4 + (1 + packet[4] if packet[3] & 0x20 else 0)
        if at >= 188:
            continue
        section = packet[at + 1 + packet[at] :]  # after the pointer field
        body = section[3 : 3 + ((section[1] & 0x0F) << 8 | section[2])][:-4]  # no CRC
        if pid == 0 and section[0] == 0x00:
            for j in range(5, len(body) - 3, 4):
                if body[j] << 8 | body[j + 1]:  # program 0 is the network PID
                    pmt_pids.add((body[j + 2] & 0x1F) << 8 | body[j + 3])
        elif section[0] == 0x02 and len(body) >= 9:
            pos = 9 + ((body[7] & 0x0F) << 8 | body[8])
            while pos + 5 <= len(body):
                types.add(body[pos])
                pos += 5 + ((body[pos + 3] & 0x0F) << 8 | body[pos + 4])
    return types


def video_codecs(path: Path) -> set[str]:
    return {VIDEO_TYPES.get(t, f"type 0x{t:02x}") for t in ts_stream_types(path)}


def keyframe_sizes(path: Path) -> list[tuple[int, int]]:
    """The picture size of each keyframe of a file, in order (decodes keyframes only)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-skip_frame", "nokey", "-select_streams", "v:0",
         "-show_entries", "frame=width,height", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    frames = json.loads(out.stdout or "{}").get("frames") or []
    return [(int(f["width"]), int(f["height"])) for f in frames]


def readable(path: Path) -> bool:
    """FFmpeg reads the file to its end and finds video in it."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_packets", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    streams = json.loads(out.stdout or "{}").get("streams") or [{}]
    return out.returncode == 0 and int(streams[0].get("nb_read_packets") or 0) > 0


# ---------------------------------------------------------------- a file system that fills


@contextlib.contextmanager
def mounted_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` at ``where`` when this machine lets us mount one (root, in a
    container that allows it), skipped otherwise; always unmounted."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command: cannot make a small file system to fill")
    where.mkdir(parents=True, exist_ok=True)
    name = f"vigie-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", name, str(where)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip()
        pytest.skip(f"cannot mount a tmpfs here (needs root and a permissive container): {reason}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill_until_full(path: Path) -> int:
    """Write ``path`` until the file system says ENOSPC; the bytes written."""
    written = 0
    chunk = b"\0" * (1 << 20)
    with contextlib.suppress(OSError), path.open("wb") as out:
        while True:
            out.write(chunk)
            out.flush()
            written += len(chunk)
    return written


# ---------------------------------------------------------------- a recorder of its own process


def run_script(env: dict[str, str], *args: str) -> Any:
    """Run this module as a script in ``env`` (a CliEnv's); its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", __name__, *args],
        env={**env, "DJANGO_SETTINGS_MODULE": "vigie.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _seed(spec: dict[str, Any]) -> dict[str, Any]:
    """A node, its pool and authorised, enabled cameras: {"node", "pool", "cameras":
    [{"name", "url"}]} → {"cameras": {name: id}}."""
    from vigie.core.testing import make_member

    node, _pools = make_node(spec["node"], Path(spec["pool"]))
    member = make_member()
    ids = {}
    for cam in spec["cameras"]:
        ids[cam["name"]] = add_camera(member, cam["url"], name=cam["name"]).pk
    return {"node": node.name, "cameras": ids}


def _report() -> dict[str, Any]:
    """Every camera (id → name), segment, gap and state row, as JSON (times as ISO)."""
    from vigie.inventory.models import Camera
    from vigie.recording.models import CameraRecordingState, Gap, Segment

    segs = Segment.objects.unrestricted().select_related("storage_pool").order_by("start")
    return {
        "cameras": {c.pk: c.name for c in Camera.objects.unrestricted()},
        "segments": [
            {
                "camera": s.camera_id, "path": s.path, "pool": s.storage_pool.path,
                "closed": s.closed, "bytes": s.bytes, "sha256": s.sha256,
                "start": s.start.isoformat(), "end": s.end.isoformat() if s.end else None,
                "codec": s.codec,
            }
            for s in segs
        ],
        "gaps": [
            {
                "camera": g.camera_id, "cause": g.cause, "detail": g.detail,
                "start": g.start.isoformat(), "end": g.end.isoformat() if g.end else None,
            }
            for g in Gap.objects.unrestricted().order_by("start")
        ],
        "states": [
            {"camera": r.camera_id, "state": r.state, "detail": r.detail}
            for r in CameraRecordingState.objects.unrestricted()
        ],
    }  # fmt: skip


def main(argv: list[str]) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    django.setup()
    from vigie.core import actors

    with actors.acting_as(actors.system("tests")):
        if argv[:1] == ["seed"]:
            answer = _seed(json.loads(argv[1]))
        elif argv[:1] == ["report"]:
            answer = _report()
        else:
            print("usage: reliability_support seed JSON | report", file=sys.stderr)
            return 2
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

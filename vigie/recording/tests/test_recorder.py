"""The recorder against real RTSP cameras (the GStreamer simulator of conftest.py).

The recorder runs in a thread of the test process, on the test database, with short
segments and a short watchdog so that each test lasts seconds.
"""

from __future__ import annotations

import hashlib
import itertools
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from vigie.core.testing import as_system, make_authorisation, make_camera, make_member
from vigie.inventory.models import Authorisation, Camera, RecorderNode, StoragePool
from vigie.recording import paths
from vigie.recording.ingest import InputArgs, looped_file_input, rtsp_input
from vigie.recording.models import CameraRecordingState, Gap, GapCause, Segment
from vigie.recording.recorder import Recorder, run_in_thread
from vigie.recording.supervision import Policy
from vigie.recording.tests.reliability_support import patient, patiently

pytestmark = [pytest.mark.storage, pytest.mark.django_db(transaction=True)]

# Segments of ~3 s (the simulator sends a keyframe every 2 s), a 4 s watchdog, the
# inventory re-read every second.
POLICY = Policy(segment_time_s=3, watchdog_s=4, inventory_every_s=1, tick_s=0.25)
NOT_VIDEO_URL = "rtsp://127.0.0.1:1/not-video"


def wait_for(what: str, cond: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = patient(cond)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def audio_only(tmp_path: Path) -> Path:
    """A stream with no video at all (a microphone, a misconfigured encoder)."""
    out = tmp_path / "audio.mka"
    cmd = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2"]
    subprocess.run([*cmd, "-c:a", "pcm_s16le", str(out)], check=True, timeout=30)
    return out


@pytest.fixture
def pool(tmp_path: Path) -> StoragePool:
    with as_system():
        node = RecorderNode.objects.create(name="rec-test")
        return StoragePool.objects.create(name="pool-test", node=node, path=str(tmp_path / "p"))


def add_camera(member: Any, url: str, *, authorised: bool = True) -> Camera:
    camera = make_camera(member, rtsp_main=url)
    if authorised:
        make_authorisation(member, [camera])
        with as_system():
            camera.enabled = True
            camera.save()
    return camera


class Running:
    """A recorder in a thread; ``stop`` ends it as SIGTERM would, ``crash`` as kill -9."""

    def __init__(self, pool: StoragePool, input_args: InputArgs | None = None) -> None:
        self.recorder = Recorder(pool.node, POLICY, input_args=input_args)
        self.thread, self._stop, self._crash = run_in_thread(self.recorder)

    def stop(self, crash: bool = False) -> None:
        (self._crash if crash else self._stop).set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


@pytest.fixture
def recorders() -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(pool: StoragePool, input_args: InputArgs | None = None) -> Running:
        started.append(Running(pool, input_args))
        return started[-1]

    try:
        yield start
    finally:
        for running in started:
            if running.thread.is_alive():
                running.stop()


# The recorder writes from its own thread: on the in-memory SQLite test database a
# read can meet "table is locked" at once (reliability_support.patient).
@patiently
def segments(camera: Camera, closed: bool | None = None) -> list[Segment]:
    rows = Segment.objects.unrestricted().filter(camera=camera).select_related("storage_pool")
    if closed is not None:
        rows = rows.filter(closed=closed)
    return list(rows.order_by("start"))


@patiently
def state(camera: Camera) -> CameraRecordingState | None:
    return CameraRecordingState.objects.unrestricted().filter(camera=camera).first()


@patiently
def gaps(camera: Camera) -> list[Gap]:
    return list(Gap.objects.unrestricted().filter(camera=camera).order_by("start"))


def closed_gaps(camera: Camera) -> list[Gap]:
    return [g for g in gaps(camera) if g.end]


def ffprobe_ok(path: Path) -> bool:
    cmd = ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0"]
    out = subprocess.run([*cmd, str(path)], capture_output=True, text=True, timeout=20)
    return out.returncode == 0 and "h264" in out.stdout


def video_packets(path: Path) -> int:
    cmd = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets"]
    cmd += ["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"]
    out = subprocess.run([*cmd, str(path)], capture_output=True, text=True, timeout=20)
    return int(out.stdout.split()[0])  # the stream's line (its program's repeats it)


def test_records_authorised_cameras_only(
    rtsp_cameras: Any, pool: StoragePool, recorders: Callable[..., Running]
) -> None:
    sim = rtsp_cameras(3)
    member = make_member()
    cam1, cam2 = add_camera(member, sim.url(1)), add_camera(member, sim.url(2))
    unauthorised = add_camera(member, sim.url(3), authorised=False)
    running = recorders(pool)
    wait_for(
        "3 closed segments each", lambda: all(len(segments(c, True)) >= 3 for c in (cam1, cam2)), 30
    )
    live = paths.live_dir(pool, cam1.pk) / "index.m3u8"
    assert live.is_file() and "#EXTINF" in live.read_text()
    s2 = state(unauthorised)
    assert s2 is not None and s2.state == "unauthorised" and "authorisation" in s2.detail
    # The authorisation is revoked: recording stops at the next inventory read.
    with as_system():
        for auth in Authorisation.objects.unrestricted().filter(cameras=cam2):
            auth.revoked = True
            auth.save()
    wait_for("cam2 unauthorised", lambda: state(cam2).state == "unauthorised")  # type: ignore[union-attr]
    running.stop()

    assert not segments(unauthorised)
    assert not (paths.segment_dir(pool, unauthorised.pk)).exists()
    for cam in (cam1, cam2):
        rows = segments(cam)
        assert rows and all(s.closed for s in rows)
        for seg in rows:
            file = paths.segment_file(seg)
            assert seg.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
            assert seg.bytes == file.stat().st_size and seg.end and seg.end > seg.start
            assert (seg.codec, seg.width, seg.height) == ("h264", 1280, 720)
            # The pictures the ingest wrote, as many as the file holds.
            assert seg.frames == video_packets(file)
        assert ffprobe_ok(paths.segment_file(rows[1]))
        # Consecutive segments of one connection follow each other.
        for a, b in itertools.pairwise(rows):
            assert a.end is not None
            assert abs((b.start - a.end).total_seconds()) < 1.5  # names have 1 s resolution
    assert [g.cause for g in gaps(cam2)] == [GapCause.UNAUTHORISED]
    assert [g.cause for g in gaps(cam1)] == [GapCause.RECORDER_DOWN]  # a clean stop
    assert state(cam1).state == "stopped"  # type: ignore[union-attr]
    assert not live.exists()  # no stale live window


@pytest.mark.parametrize("engine", ["pyav", "ffmpeg"])
def test_outage_and_freeze_make_one_gap_each_and_recording_resumes(
    rtsp_cameras: Any, pool: StoragePool, recorders: Callable[..., Running], engine: str
) -> None:
    sim = rtsp_cameras(3)
    member = make_member()
    cams = [add_camera(member, url) for url in sim.urls]
    # PyAV: its read timeout notices the freeze. FFmpeg: its own timeout set long, so
    # that the recorder's byte watchdog is what notices it.
    recorders(pool, rtsp_input(30_000_000) if engine == "ffmpeg" else None)
    wait_for("all recording", lambda: all(len(segments(c)) >= 2 for c in cams), 30)
    sim.stop_camera(1)
    sim.freeze_camera(2)
    time.sleep(6)
    back = datetime.now(UTC)
    sim.start_camera(1)
    sim.thaw_camera(2)
    for cam in cams[:2]:
        closed = wait_for("gap closed", partial(closed_gaps, cam), 20)
        assert len(gaps(cam)) == 1
        assert closed[0].end - back <= timedelta(seconds=5), closed[0]
    assert gaps(cams[0])[0].cause in (GapCause.SOURCE_ENDED, GapCause.CONNECT_FAILED)
    assert gaps(cams[1])[0].cause == GapCause.STALLED
    assert state(cams[1]).restarts >= 1  # type: ignore[union-attr]
    assert not gaps(cams[2])  # the others are not affected
    wait_for("recording again", lambda: state(cams[0]).state == "recording")  # type: ignore[union-attr]


def test_kill9_then_restart_leaves_index_and_disk_in_agreement(
    rtsp_cameras: Any, pool: StoragePool, recorders: Callable[..., Running]
) -> None:
    sim = rtsp_cameras(1)
    cam = add_camera(make_member(), sim.url(1))
    first = recorders(pool)
    wait_for("2 segments", lambda: len(segments(cam)) >= 2, 30)
    time.sleep(1.5)
    crashed_at = datetime.now(UTC)
    first.stop(crash=True)  # children SIGKILLed, nothing closed
    assert segments(cam, closed=False)

    second = recorders(pool)
    wait_for("recording again", lambda: second.recorder.recovery and len(segments(cam)) >= 3)
    wait_for("gap closed", partial(closed_gaps, cam))
    second.stop()

    files = {str(p.relative_to(paths.pool_root(pool))) for p in Path(pool.path).rglob("*.ts")}
    files = {f for f in files if f.startswith("segments/")}
    rows = segments(cam)
    assert files == {s.path for s in rows}  # no file without a row, no row without a file
    assert all(s.closed and s.sha256 for s in rows)
    before = [s for s in rows if s.start < crashed_at]
    # At most the last fragment lost: the cut segment was indexed up to the kill.
    assert crashed_at - max(s.end for s in before if s.end) <= timedelta(seconds=2)
    down = gaps(cam)[0]
    assert down.cause == GapCause.RECORDER_DOWN and down.end is not None


def test_bad_inputs_are_explained_and_isolated(
    rtsp_cameras: Any,
    pool: StoragePool,
    recorders: Callable[..., Running],
    audio_only: Path,
) -> None:
    sim = rtsp_cameras(1)
    member = make_member()
    good = add_camera(member, sim.url(1))
    unreachable = add_camera(member, f"rtsp://127.0.0.1:{closed_port()}/cam")
    not_video = add_camera(member, NOT_VIDEO_URL)
    rtsp = rtsp_input(POLICY.rtsp_timeout_us)
    audio = looped_file_input(str(audio_only))

    def inputs(url: str) -> list[str]:
        # The one stream RTSP cannot give us here is audio only: a local file stands in.
        return audio(url) if url == NOT_VIDEO_URL else rtsp(url)

    recorders(pool, inputs)
    wait_for("good camera recorded", lambda: len(segments(good, True)) >= 2, 30)
    wait_for("retries", lambda: state(unreachable).restarts >= 2)  # type: ignore[union-attr]
    s_unreach, s_bad = state(unreachable), state(not_video)
    assert s_unreach is not None and s_bad is not None
    assert s_unreach.state == "reconnecting" and "Connection refused" in s_unreach.detail
    assert "matches no streams" in s_bad.detail
    assert [g.cause for g in gaps(unreachable)] == [GapCause.CONNECT_FAILED]
    assert [g.cause for g in gaps(not_video)] == [GapCause.BAD_STREAM]
    assert not gaps(good) and state(good).state == "recording"  # type: ignore[union-attr]
    assert not segments(unreachable) and not segments(not_video)

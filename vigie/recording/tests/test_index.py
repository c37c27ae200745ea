"""The segment index and its recovery scan, on real MPEG-TS files cut from real footage."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vigie.audit.models import JournalEntry
from vigie.core.shared_data import shared_data
from vigie.core.testing import as_system, make_camera, make_member
from vigie.inventory.models import RecorderNode, StoragePool
from vigie.recording import index, paths
from vigie.recording.models import CameraRecordingState, Gap, GapCause, Segment

FOOTAGE = shared_data("intersection_traffic.mp4")
pytestmark = pytest.mark.storage


@pytest.fixture(scope="session")
def ts_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s MPEG-TS clip (stream copy of real footage), as the recorder writes them."""
    out = tmp_path_factory.mktemp("clips") / "clip.ts"
    cmd = ["ffmpeg", "-v", "error", "-i", str(FOOTAGE), "-t", "2", "-map", "0:v:0"]
    subprocess.run([*cmd, "-c", "copy", "-f", "mpegts", str(out)], check=True, timeout=30)
    return out


@pytest.fixture
def pool(db: None, tmp_path: Path) -> StoragePool:
    with as_system():
        node = RecorderNode.objects.create(name="rec-1")
        return StoragePool.objects.create(name="pool-1", node=node, path=str(tmp_path / "pool"))


@pytest.fixture
def camera(db: None) -> Any:
    return make_camera(make_member())


T0 = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)


def put(pool: StoragePool, camera_id: int, start: datetime, clip: Path | None) -> str:
    rel = paths.segment_relpath(camera_id, start)
    target = paths.pool_root(pool) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if clip is None:
        target.touch()
    else:
        shutil.copyfile(clip, target)
    return rel


def test_parse_segment_start() -> None:
    assert index.parse_segment_start("20260301T100000Z.ts") == T0
    assert index.parse_segment_start("index.m3u8") is None
    assert index.parse_segment_start("20260301T100000Z.ts.tmp") is None


def test_open_then_close_measures_the_file(pool: StoragePool, camera: Any, ts_clip: Path) -> None:
    rel = put(pool, camera.pk, T0, ts_clip)
    seg = index.open_segment(camera.pk, pool, rel, T0, None)
    assert not seg.closed and seg.end is None
    media = index.close_segment(seg, want_media=True)
    seg.refresh_from_db()
    assert seg.closed and seg.bytes == ts_clip.stat().st_size
    assert seg.sha256 == hashlib.sha256(ts_clip.read_bytes()).hexdigest()
    assert timedelta(seconds=1.5) < seg.end - seg.start <= timedelta(seconds=2.1)
    assert (seg.codec, seg.width, seg.height) == ("h264", 640, 480)
    assert media == index.Media("h264", 640, 480)


def test_duration_from_pts_matches_ffprobe(ts_clip: Path, tmp_path: Path) -> None:
    cmd = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"]
    out = subprocess.run([*cmd, str(ts_clip)], capture_output=True, text=True, check=True)
    assert index.ts_duration(ts_clip) == pytest.approx(float(out.stdout), abs=0.001)
    # A file cut anywhere (the writer killed) still gives the span of what it holds.
    cut = tmp_path / "cut.ts"
    cut.write_bytes(ts_clip.read_bytes()[: ts_clip.stat().st_size // 2 + 77])
    half = index.ts_duration(cut)
    assert half is not None and 0.5 < half < float(out.stdout)
    junk = tmp_path / "junk.ts"
    junk.write_bytes(b"not a transport stream" * 100)
    assert index.ts_duration(junk) is None


def test_an_empty_file_leaves_neither_row_nor_file(
    pool: StoragePool, camera: Any, ts_clip: Path
) -> None:
    rel = put(pool, camera.pk, T0, None)
    seg = index.open_segment(camera.pk, pool, rel, T0, None)
    index.close_segment(seg)
    assert not Segment.objects.unrestricted().exists()
    assert not (paths.pool_root(pool) / rel).exists()


def test_recovery_makes_index_and_disk_agree(pool: StoragePool, camera: Any, ts_clip: Path) -> None:
    # A closed row with its file, an open row from a crash, a file without a row, a row
    # whose file is gone, a file FFmpeg opened but never wrote, a file of no camera.
    kept = put(pool, camera.pk, T0, ts_clip)
    index.close_segment(index.open_segment(camera.pk, pool, kept, T0, None))
    crashed = put(pool, camera.pk, T0 + timedelta(minutes=1), ts_clip)
    index.open_segment(camera.pk, pool, crashed, T0 + timedelta(minutes=1), None)
    unindexed = put(pool, camera.pk, T0 + timedelta(minutes=2), ts_clip)
    with as_system():
        lost = Segment.objects.create(
            camera=camera, storage_pool=pool, path="segments/x/lost.ts", start=T0, closed=True
        )
    empty = put(pool, camera.pk, T0 + timedelta(minutes=3), None)
    stranger = put(pool, 999_999, T0, ts_clip)

    report = index.recover([pool], now=T0 + timedelta(minutes=10))

    assert (report.indexed, report.closed, report.removed, report.emptied) == (1, 1, 1, 1)
    assert report.unknown == [stranger]
    rows = Segment.objects.unrestricted().order_by("start")
    assert [s.path for s in rows] == [kept, crashed, unindexed]
    assert all(s.closed and s.sha256 and s.bytes and s.end for s in rows)
    for seg in rows:
        assert paths.segment_file(seg).is_file()
    assert not (paths.pool_root(pool) / empty).exists()
    anomaly = JournalEntry.objects.get(action="recording.segment_missing")
    assert anomaly.object_ids == [str(lost.pk)]
    # The footage stops before now and no gap is open: the recorder was down.
    gap = Gap.objects.unrestricted().get()
    assert (gap.cause, gap.end) == (GapCause.RECORDER_DOWN, None)
    assert gap.start == rows.last().end  # type: ignore[union-attr]
    # A second scan finds nothing to do and opens no second gap.
    again = index.recover([pool], now=T0 + timedelta(minutes=11))
    assert (again.indexed, again.closed, again.removed, again.gaps) == (0, 0, 0, 0)


def test_gaps_open_once_and_close(camera: Any) -> None:
    index.open_gap(camera.pk, T0, GapCause.CONNECT_FAILED, "Connection refused")
    index.open_gap(camera.pk, T0 + timedelta(seconds=5), GapCause.STALLED, "later news")
    gap = Gap.objects.unrestricted().get()
    assert (gap.start, gap.cause, gap.detail) == (T0, GapCause.CONNECT_FAILED, "later news")
    index.close_gap(camera.pk, T0 + timedelta(seconds=9))
    gap.refresh_from_db()
    assert gap.end == T0 + timedelta(seconds=9)
    index.close_gap(camera.pk, T0 + timedelta(seconds=20))  # nothing open: no change
    gap.refresh_from_db()
    assert gap.end == T0 + timedelta(seconds=9)


def test_state_changes_and_since(camera: Any, pool: StoragePool) -> None:
    index.set_state(camera.pk, pool.node_id, "reconnecting", "connecting")
    row = CameraRecordingState.objects.unrestricted().get()
    since = row.since
    index.set_state(camera.pk, pool.node_id, "reconnecting", "connecting")
    row.refresh_from_db()
    assert row.since == since and row.restarts == 0
    index.set_state(camera.pk, pool.node_id, "recording", "", last_data_at=T0, restarted=True)
    row.refresh_from_db()
    assert (row.state, row.last_data_at, row.restarts) == ("recording", T0, 1)
    assert row.since >= since

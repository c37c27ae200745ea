"""Footage for the playback tests: real MPEG-TS segments cut by FFmpeg from the shared
clip, stored in a temporary pool and indexed with Segment rows (as the system actor).

Not a test module of its own: the fixtures are imported by the playback tests.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vigie.core.shared_data import shared_data
from vigie.core.testing import as_system
from vigie.inventory.models import StoragePool
from vigie.inventory.tests.ui_world import World
from vigie.recording import tsindex
from vigie.recording.models import Gap, GapCause, Segment
from vigie.recording.paths import live_dir, segment_relpath

REPO = Path(__file__).resolve().parents[3]
CLIP = shared_data("intersection_traffic.mp4")
FFMPEG_TIMEOUT = 60
# Wall-clock hole left between the first and the second half of the footage.
GAP = timedelta(seconds=60)


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *args],
        check=True,
        timeout=FFMPEG_TIMEOUT,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def clip() -> Path:
    if not CLIP.is_file():
        pytest.fail(f"the shared clip is needed: {CLIP}")
    return CLIP


@pytest.fixture(scope="session")
def cut_segments(tmp_path_factory: pytest.TempPathFactory, clip: Path) -> list[Path]:
    """The clip cut by stream copy into ~9 s MPEG-TS segments (2–3 keyframes each)."""
    folder = tmp_path_factory.mktemp("cut")
    ffmpeg(
        "-i", str(clip), "-map", "0:v", "-c", "copy", "-f", "segment",
        "-segment_format", "mpegts", "-segment_time", "9", str(folder / "seg%03d.ts"),
    )  # fmt: skip
    return sorted(folder.glob("seg*.ts"))


@pytest.fixture(scope="session")
def whole_ts(tmp_path_factory: pytest.TempPathFactory, clip: Path) -> Path:
    out = tmp_path_factory.mktemp("whole") / "whole.ts"
    ffmpeg("-i", str(clip), "-map", "0:v", "-c", "copy", "-f", "mpegts", str(out))
    return out


@dataclass
class Footage:
    world: World
    pool: Any
    camera: Any
    segments: list[Any] = field(default_factory=list)
    gap: Any = None

    @property
    def start(self) -> datetime:
        return self.segments[0].start

    @property
    def end(self) -> datetime:
        return self.segments[-1].end


def _index(world: World, pool_path: Path, cut: list[Path], base: datetime) -> Footage:
    with as_system():
        pool = StoragePool.objects.create(
            member=world.a, name="pool-playback", node=world.node_a, path=str(pool_path)
        )
        camera = world.cam_a
        camera.storage_pool = pool
        camera.save()
    footage = Footage(world=world, pool=pool, camera=camera)
    at = base
    half = len(cut) // 2
    for number, source in enumerate(cut):
        if number == half:
            gap_start, at = at, at + GAP
            with as_system():
                footage.gap = Gap.objects.create(
                    camera=camera, start=gap_start, end=at, cause=GapCause.STALLED
                )
        duration = timedelta(seconds=tsindex.scan_file(source).duration)
        relpath = segment_relpath(camera.pk, at)
        target = pool_path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        with as_system():
            footage.segments.append(
                Segment.objects.create(
                    camera=camera,
                    storage_pool=pool,
                    path=relpath,
                    start=at,
                    end=at + duration,
                    bytes=target.stat().st_size,
                    closed=True,
                )
            )
        at += duration
    return footage


@pytest.fixture
def footage(world: World, tmp_path: Path, cut_segments: list[Path]) -> Footage:
    """Camera A's footage: half the clip, a 60 s stall (a Gap row), the other half."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return _index(world, tmp_path / "pool", cut_segments, base)


@pytest.fixture(scope="session")
def live_source(tmp_path_factory: pytest.TempPathFactory, clip: Path) -> Path:
    """A live HLS window as the recorder writes it (index.m3u8 + short .ts parts)."""
    folder = tmp_path_factory.mktemp("live")
    ffmpeg(
        "-i", str(clip), "-map", "0:v", "-c", "copy", "-f", "hls", "-hls_time", "2",
        "-hls_list_size", "5", "-hls_segment_filename", str(folder / "part%05d.ts"),
        str(folder / "index.m3u8"),
    )  # fmt: skip
    return folder


@pytest.fixture
def live(footage: Footage, live_source: Path) -> Path:
    """Camera A's live directory in its pool, filled from ``live_source``."""
    folder = live_dir(footage.pool, footage.camera.pk)
    shutil.copytree(live_source, folder)
    return folder

"""Real, small MPEG-TS footage and ready-made packages for the package and verify tests.

Import the fixtures explicitly (``from vigie.evidence.tests.package_support import
footage, built``). The footage is an FFmpeg test pattern (H.264, 25 fps, a keyframe
every 2 s, B-frames) cut into 4 s segments that keep running timestamps, as the
recorder writes them; it is made once per test session.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vigie.evidence.package import (
    ExportItem,
    PackageRequest,
    PackageResult,
    SegmentFile,
    build_package,
)

# 08:00 in Paris (winter time).
T0 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
SEGMENT_SECONDS = 4
SEGMENTS = 5
FPS = 25
GOP_SECONDS = 2


@dataclass(frozen=True)
class Footage:
    folder: Path
    paths: tuple[Path, ...]

    def start(self, n: int) -> datetime:
        return T0 + timedelta(seconds=SEGMENT_SECONDS * n)

    def segment(self, n: int) -> SegmentFile:
        return SegmentFile(self.paths[n], self.start(n), self.start(n + 1), sha256=f"{n:064x}")


def make_footage(folder: Path, *, size: str = "160x120", count: int = SEGMENTS) -> Footage:
    folder.mkdir(parents=True, exist_ok=True)
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
    command += ["-i", f"testsrc2=size={size}:rate={FPS}", "-t", str(SEGMENT_SECONDS * count)]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-pix_fmt", "yuv420p"]
    command += ["-g", str(FPS * GOP_SECONDS), "-keyint_min", str(FPS * GOP_SECONDS)]
    command += ["-sc_threshold", "0", "-f", "segment", "-segment_time", str(SEGMENT_SECONDS)]
    command += ["-segment_format", "mpegts", str(folder / "seg%03d.ts")]
    subprocess.run(command, check=True, timeout=120, capture_output=True)
    paths = tuple(sorted(folder.glob("seg*.ts")))
    assert len(paths) == count, paths
    return Footage(folder, paths)


@pytest.fixture(scope="session")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Footage:
    return make_footage(tmp_path_factory.mktemp("footage"))


def item(
    footage: Footage,
    start_s: float,
    end_s: float,
    *,
    segments: tuple[int, ...] | None = None,
    gaps: tuple[tuple[datetime, datetime, str], ...] = (),
    name: str = "ANT-GARE-01",
    camera_id: int = 7,
    masks: Any = (),
) -> ExportItem:
    """An item over [T0 + start_s, T0 + end_s) made of the given segments (default:
    every one that overlaps)."""
    start, end = T0 + timedelta(seconds=start_s), T0 + timedelta(seconds=end_s)
    chosen = range(len(footage.paths)) if segments is None else segments
    files = tuple(
        footage.segment(n)
        for n in chosen
        if footage.start(n) < end and footage.start(n + 1) > start
    )
    return ExportItem(
        camera_id=camera_id,
        camera_name=name,
        camera_location="Place de la Gare, Antony",
        start=start,
        end=end,
        segments=files,
        gaps=gaps,
        masks=masks,
    )


def request(*items: ExportItem, reference: str = "PV 2026/123") -> PackageRequest:
    return PackageRequest(
        items=items,
        requisition={
            "reference": reference,
            "procedure_number": "2026/00123",
            "service": "Police nationale, commissariat d'Antony",
            "officer_name": "Brigadier Martin",
            "officer_id": "123456",
            "facts": "Vol à l'arraché, place de la Gare",
            "received": "2026-11-21",
        },
        member={"slug": "antony", "name": "Antony", "insee_code": "92002"},
        operator="Claire Dupont (cdupont)",
        software_version="vigie 0.test",
    )


@dataclass(frozen=True)
class Built:
    """A package built once per session; tests copy it before changing anything."""

    result: PackageResult
    other: PackageResult  # a second package, for swapping files between packages

    def copy(self, dest: Path) -> Path:
        target = dest / self.result.directory.name
        shutil.copytree(self.result.directory, target)
        return target


@pytest.fixture(scope="session")
def built(footage: Footage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    out = tmp_path_factory.mktemp("packages")
    first = build_package(
        request(item(footage, 2.5, 9.0), item(footage, 1.0, 5.0, name="ANT-GARE-02")),
        out,
        make_iso=True,
        make_zip=True,
    )
    other = build_package(request(item(footage, 0.0, 6.0), reference="PV 2026/999"), out)
    yield Built(first, other)

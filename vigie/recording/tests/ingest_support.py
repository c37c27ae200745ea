"""What the ingest engines' tests share: the options, a camera's spec, what is on disk."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from vigie.recording.avingest import AvOptions
from vigie.recording.ingest import IngestSpec
from vigie.recording.tests.test_recorder import wait_for

OPTIONS = AvOptions(open_timeout_s=4, read_timeout_s=2.4)


def spec(url: str, pool: Path, live: bool = True, camera: int = 7) -> IngestSpec:
    return IngestSpec(camera, url, str(pool), segment_time_s=3, offset_s=1.2, live=live)


def sizes(pool: Path) -> dict[str, int]:
    return {str(p): p.stat().st_size for p in pool.rglob("*.ts")}


def ended(ingest: Any) -> int:
    return int(wait_for("the ingest ends", lambda: ingest.poll() is not None, 20) or 0)


def decode_errors(path: Path) -> str:
    cmd = ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stderr.strip()

"""Where footage lives on a storage pool. The recorder, the deleters and playback all
go through these functions, so that there is one layout:

    <pool.path>/segments/<camera id>/<YYYY-MM-DD>/<YYYYmmddTHHMMSSZ>.ts   archived footage
    <pool.path>/live/<camera id>/index.m3u8 (+ short .ts parts)          live HLS window
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any


def pool_root(pool: Any) -> Path:
    return Path(pool.path)


def segment_dir(pool: Any, camera_id: int) -> Path:
    return pool_root(pool) / "segments" / str(camera_id)


def segment_relpath(camera_id: int, start_utc: datetime) -> str:
    """The path of a segment relative to its pool (what Segment.path stores)."""
    return f"segments/{camera_id}/{start_utc:%Y-%m-%d}/{start_utc:%Y%m%dT%H%M%SZ}.ts"


def segment_file(segment: Any) -> Path:
    return pool_root(segment.storage_pool) / segment.path


def live_dir(pool: Any, camera_id: int) -> Path:
    return pool_root(pool) / "live" / str(camera_id)

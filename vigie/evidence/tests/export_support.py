"""Real recorded footage in the index for the export job tests: the package tests'
session footage (FFmpeg test pattern, 5 segments of 4 s from 08:00 Paris) copied into
a storage pool under ``tmp_path`` and indexed as the recorder would."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from vigie.core.testing import as_system
from vigie.evidence.tests.package_support import Footage
from vigie.recording import paths
from vigie.recording.models import Gap, Segment
from vigie.recording.tests.retention_support import make_pool


def index_footage(camera: Any, footage: Footage, root: Path, skip: tuple[int, ...] = ()) -> Any:
    """Index the footage's segments for ``camera`` (minus ``skip``, recorded as a gap)."""
    pool = make_pool(root)
    for n, source in enumerate(footage.paths):
        if n in skip:
            continue
        relpath = paths.segment_relpath(camera.pk, footage.start(n))
        target = paths.pool_root(pool) / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        with as_system():
            Segment.objects.create(
                camera=camera,
                storage_pool=pool,
                path=relpath,
                start=footage.start(n),
                end=footage.start(n + 1),
                bytes=target.stat().st_size,
                closed=True,
            )
    for n in skip:
        with as_system():
            Gap.objects.create(
                camera=camera, start=footage.start(n), end=footage.start(n + 1), cause="stalled"
            )
    return pool

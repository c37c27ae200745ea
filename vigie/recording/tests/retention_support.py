"""A small recorded world on real files for the retention, hold and pressure tests:
a pool under ``tmp_path``, cameras, fake ``.ts`` segments (no FFmpeg), a replaceable
disk that measures the files actually there against a chosen capacity."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vigie.core.testing import as_system, make_camera, make_member
from vigie.inventory.models import Camera, RecorderNode, StoragePool
from vigie.recording import paths, services
from vigie.recording.models import Segment
from vigie.recording.pressure import DiskSpace

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_seq = itertools.count(1)


def make_pool(root: Path, member: Any = None, *, create: bool = True, **kw: Any) -> StoragePool:
    n = next(_seq)
    if create:
        root.mkdir(parents=True, exist_ok=True)
    with as_system():
        node = RecorderNode.objects.create(name=f"nvr-{n}", member=member)
        return StoragePool.objects.create(
            name=f"pool-{n}", node=node, path=str(root), member=member, **kw
        )


def make_segment(
    camera: Camera,
    pool: StoragePool,
    start: datetime,
    *,
    seconds: int = 60,
    size: int = 1000,
    closed: bool = True,
    write: bool = True,
) -> Segment:
    """A segment row and, with ``write``, its file of ``size`` bytes."""
    relpath = paths.segment_relpath(camera.pk, start.astimezone(UTC))
    if write:
        file = paths.pool_root(pool) / relpath
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(b"\x47" * size)  # MPEG-TS sync bytes: fake but plausible
        if closed:  # a closed file was last written when its segment ended
            written = (start + timedelta(seconds=seconds)).timestamp()
            os.utime(file, (written, written))
    with as_system():
        return Segment.objects.create(
            camera=camera,
            storage_pool=pool,
            path=relpath,
            start=start,
            end=start + timedelta(seconds=seconds) if closed else None,
            bytes=size,
            closed=closed,
        )


def file_of(segment: Segment) -> Path:
    return paths.segment_file(segment)


def index_is_whole(pool: StoragePool) -> bool:
    """Every index row of the pool points at a file that exists."""
    return all(
        file_of(s).is_file()
        for s in Segment.objects.unrestricted()
        .filter(storage_pool=pool)
        .select_related("storage_pool")
    )


@dataclass
class FakeDisk:
    """A disk of ``capacity`` bytes whose use is the files under the pools' roots
    (plus ``other`` bytes used by something else): deleting files frees space."""

    capacity: int
    other: int = 0
    calls: list[str] = field(default_factory=list)
    broken: bool = False

    def __call__(self, path: str) -> DiskSpace:
        self.calls.append(path)
        if self.broken:
            raise OSError(5, "Input/output error", path)
        used = sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
        return DiskSpace(
            total_bytes=self.capacity, free_bytes=max(0, self.capacity - used - self.other)
        )


@dataclass
class World:
    member: Any
    pool: StoragePool
    camera: Camera
    other_camera: Camera

    def segments(self, camera: Camera | None = None) -> list[Segment]:
        qs = Segment.objects.unrestricted().select_related("storage_pool").order_by("start")
        return list(qs.filter(camera=camera or self.camera))

    def fill(self, camera: Camera, days: int, every_hours: int = 6, size: int = 1000) -> None:
        """Segments every ``every_hours`` over the ``days`` days before NOW."""
        start = NOW - timedelta(days=days)
        while start < NOW - timedelta(minutes=5):
            make_segment(camera, self.pool, start, size=size)
            start += timedelta(hours=every_hours)


def build_world(tmp_path: Path, retention_days: int = 7) -> World:
    member = make_member()
    pool = make_pool(tmp_path / "pool", member=None)
    camera = make_camera(member, retention_days=retention_days, storage_pool=pool)
    other = make_camera(member, retention_days=retention_days, storage_pool=pool)
    return World(member=member, pool=pool, camera=camera, other_camera=other)


@pytest.fixture
def world(db: None, tmp_path: Path) -> World:
    return build_world(tmp_path)


@pytest.fixture
def committed(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> Callable[..., Any]:
    """Run a service and then what it left for after the commit (unlinking files):
    the test's own transaction never commits."""

    def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def fake_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDisk]:
    disk = FakeDisk(capacity=100_000)
    monkeypatch.setattr(services, "disk_usage", disk)
    yield disk

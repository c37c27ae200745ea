"""The segment index: the only writer of Segment, Gap and CameraRecordingState rows.

It acts as the system party ``job:recorder``. Its invariants, kept by the recovery scan
at every start: no row points at a missing file, no ``.ts`` file lives without a row,
no segment stays open after its writer is gone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from django.utils import timezone

from vigie.audit.services import journal
from vigie.core import actors
from vigie.inventory.models import Camera, StoragePool
from vigie.recording import paths
from vigie.recording.ingest import Probe, probe
from vigie.recording.models import (
    CameraRecordingState,
    Gap,
    GapCause,
    HeldFootageError,
    IngestState,
    Segment,
)

log = logging.getLogger("vigie.recorder")

ACTOR = "job:recorder"
_NAME = re.compile(r"^(\d{8}T\d{6}Z)\.ts$")

P = ParamSpec("P")
R = TypeVar("R")


def as_recorder(func: Callable[P, R]) -> Callable[P, R]:
    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with actors.acting_as(actors.system(ACTOR)):
            return func(*args, **kwargs)

    return wrapper


def parse_segment_start(name: str) -> datetime | None:
    """The UTC start written in a segment's file name, or None for another file."""
    match = _NAME.match(name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Media:
    codec: str = ""
    width: int | None = None
    height: int | None = None

    @classmethod
    def of(cls, found: Probe | None) -> Media | None:
        if found is None or not found.codec:
            return None
        return cls(found.codec, found.width, found.height)


# ---------------------------------------------------------------- segments


@as_recorder
def open_segment(
    camera_id: int, pool: StoragePool, relpath: str, start: datetime, media: Media | None
) -> Segment:
    seg = Segment.objects.unrestricted().filter(storage_pool=pool, path=relpath).first()
    if seg is None:
        seg = Segment(camera_id=camera_id, storage_pool=pool, path=relpath, start=start)
    if media:
        seg.codec, seg.width, seg.height = media.codec, media.width, media.height
    seg.closed = False
    seg.save()
    return seg


@as_recorder
def close_segment(
    seg: Segment, *, want_media: bool = False, frames: int | None = None
) -> Media | None:
    """Close a segment from its file: size, SHA-256, and its time span from the PTS of
    its first and last packets, placed by the file's last write (the name only has
    whole seconds), and ``frames``, the pictures the ingest wrote in it, when it knows.
    Deletes the row (and an empty file) when the file holds nothing.
    ffprobe runs only when media facts are wanted (once per connection): ~0.1 s of CPU
    a run would cost a third of a bare FFmpeg's CPU if it ran for every segment."""
    file = paths.segment_file(seg)
    try:
        stat = file.stat()
    except FileNotFoundError:
        if seg.pk is not None:
            _forget(seg, "segment file missing when closing")
        return None
    if stat.st_size == 0:
        # FFmpeg opened it and died before the first packet: no footage to keep.
        file.unlink(missing_ok=True)
        if seg.pk is not None:
            seg.delete()
        return None
    media = None
    if want_media or not seg.codec:
        media = Media.of(probe(file, streams=True))
    if media and not seg.codec:
        seg.codec, seg.width, seg.height = media.codec, media.width, media.height
    seg.start, seg.end = _span(seg.start, ts_duration(file), stat.st_mtime)
    seg.bytes = stat.st_size
    seg.frames = frames
    seg.sha256 = sha256_of(file)
    seg.closed = True
    seg.save()
    return media


def _span(named: datetime, duration: float | None, mtime: float) -> tuple[datetime, datetime]:
    """The named start is the wall-clock second the file was opened: the true start is
    within the next second. The last write (mtime) is when the last packet came; it
    places the span when it agrees with the content, else the name does."""
    last_write = datetime.fromtimestamp(mtime, UTC)
    if duration is None:
        return named, max(named, last_write)
    span = timedelta(seconds=duration)
    end = named + span
    # The last write comes up to a second (the name's truncation) plus a little write
    # delay after named + span; far from it, the file was copied or touched.
    if end - _SLACK <= last_write <= end + timedelta(seconds=1) + _SLACK:
        end = min(max(last_write, end), end + timedelta(seconds=1))
    return end - span, end


_SLACK = timedelta(milliseconds=500)


# ---------------------------------------------------------------- MPEG-TS timing

_PACKET = 188
_HEAD, _TAIL = 128 * 1024, 512 * 1024


def _pts_values(data: bytes) -> list[int]:
    """PTS of the PES packets starting in ``data`` (whole 188-byte packets from 0)."""
    found = []
    for i in range(0, len(data) - _PACKET + 1, _PACKET):
        pkt = data[i : i + _PACKET]
        if pkt[0] != 0x47 or not pkt[1] & 0x40:  # sync byte; payload unit start
            continue
        start = 4
        if pkt[3] & 0x20:  # adaptation field first
            start += 1 + pkt[4]
        pes = pkt[start:]
        if len(pes) < 14 or pes[:3] != b"\x00\x00\x01" or not pes[7] & 0x80:
            continue  # not a PES start (PAT/PMT sections) or no PTS
        p = pes[9:14]
        pts = ((p[0] >> 1) & 7) << 30 | p[1] << 22 | (p[2] >> 1) << 15 | p[3] << 7 | p[4] >> 1
        found.append(pts)
    return found


def ts_duration(path: Path) -> float | None:
    """Seconds from the first packet to the end of the last one, read from the PTS at
    the head and the tail of the file (a few hundred kB, no process, no full scan).
    The recorder writes one video stream, so every PES is video."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = _pts_values(fh.read(_HEAD))
        tail_at = max(0, (size - _TAIL) // _PACKET * _PACKET)
        fh.seek(tail_at)
        tail = _pts_values(fh.read())
    if not head or len(tail) < 2:
        return None
    last = sorted(tail[-8:])  # B-frames reorder PTS: take the latest of the last few
    frame = last[-1] - last[-2]  # the last frame lasts as long as the one before
    span = (last[-1] - min(head[:8]) + frame) % (1 << 33)
    return span / 90_000


def _forget(seg: Segment, why: str) -> None:
    """A row whose file is gone: an anomaly to journal, then the row goes."""
    journal(
        "recording.segment_missing",
        objects=[seg],
        member_id=seg.owner_member_id(),
        reason=why,
        details={"path": seg.path, "pool": seg.storage_pool_id, "start": seg.start},
    )
    log.warning("camera %s: %s: %s", seg.camera_id, why, seg.path)
    try:
        seg.delete()
    except HeldFootageError:
        # The hold guard keeps even a row whose file is gone: the journal says why.
        log.error("camera %s: held segment %s has no file; row kept", seg.camera_id, seg.path)


# ---------------------------------------------------------------- states and gaps


@as_recorder
def set_state(
    camera_id: int,
    node_id: int | None,
    state: str,
    detail: str = "",
    *,
    last_data_at: datetime | None = None,
    restarted: bool = False,
) -> None:
    row = CameraRecordingState.objects.unrestricted().filter(camera_id=camera_id).first()
    now = timezone.now()
    if row is None:
        row = CameraRecordingState(camera_id=camera_id, since=now)
    changed = row.pk is None or row.state != state or row.detail != detail[:500]
    if row.state != state:
        row.since = now
    if last_data_at is not None:
        row.last_data_at = last_data_at
    if restarted:
        row.restarts += 1
    if not (changed or last_data_at or restarted) and row.node_id == node_id:
        return
    if not (changed or restarted) and row.node_id == node_id:
        # The heartbeat of a camera that records (every 30 s, every camera): one
        # UPDATE, not a validated save (the recorder is a system party: bulk is allowed).
        CameraRecordingState.objects.unrestricted().filter(pk=row.pk).update(
            last_data_at=row.last_data_at
        )
        return
    row.node_id, row.state, row.detail = node_id, state, detail[:500]
    row.save()


@as_recorder
def open_gap(camera_id: int, start: datetime, cause: str, detail: str = "") -> Gap:
    """Start a gap, unless one is open already (the interruption goes on: its first
    cause stays, the detail follows the latest news)."""
    gap = Gap.objects.unrestricted().filter(camera_id=camera_id, end__isnull=True).first()
    if gap is None:
        gap = Gap(camera_id=camera_id, start=start, cause=cause)
    if detail:
        gap.detail = detail[:500]
    gap.save()
    return gap


@as_recorder
def close_gap(camera_id: int, end: datetime) -> None:
    for gap in Gap.objects.unrestricted().filter(camera_id=camera_id, end__isnull=True):
        gap.end = max(end, gap.start)
        gap.save()


# ---------------------------------------------------------------- recovery scan


@dataclass
class Recovery:
    indexed: int = 0
    closed: int = 0
    removed: int = 0
    emptied: int = 0
    gaps: int = 0
    unknown: list[str] = field(default_factory=list)


def segment_files(pool: Any) -> Iterator[tuple[int, str, datetime]]:
    """(camera id, relative path, start) of every segment file under a pool."""
    root = paths.pool_root(pool) / "segments"
    if not root.is_dir():
        return
    for cam_dir in os.scandir(root):
        if not (cam_dir.is_dir() and cam_dir.name.isdigit()):
            continue
        for day in os.scandir(cam_dir.path):
            if not day.is_dir():
                continue
            for entry in os.scandir(day.path):
                start = parse_segment_start(entry.name)
                if start is not None and entry.is_file():
                    rel = f"segments/{cam_dir.name}/{day.name}/{entry.name}"
                    yield int(cam_dir.name), rel, start


@as_recorder
def recover(pools: Iterable[StoragePool], now: datetime | None = None) -> Recovery:
    """Make index and disk agree after any stop, clean or not (run before recording)."""
    report = Recovery()
    cameras: set[int] = set()
    for pool in pools:
        _recover_pool(pool, report, cameras)
    report.gaps = _open_downtime_gaps(cameras, now or timezone.now())
    return report


def _recover_pool(pool: StoragePool, report: Recovery, cameras: set[int]) -> None:
    rows = {s.path: s for s in Segment.objects.unrestricted().filter(storage_pool=pool)}
    known_cameras = set(Camera.objects.unrestricted().values_list("pk", flat=True))
    for camera_id, rel, start in sorted(segment_files(pool), key=lambda f: f[1]):
        seg = rows.pop(rel, None)
        if seg is not None and seg.closed:
            cameras.add(camera_id)
            continue
        if seg is None:
            if camera_id not in known_cameras:
                report.unknown.append(rel)
                continue
            seg = Segment(camera_id=camera_id, storage_pool=pool, path=rel, start=start)
        was_open = seg.pk is not None
        close_segment(seg)
        if seg.pk is None:
            report.emptied += 1
            continue
        cameras.add(camera_id)
        if was_open:
            report.closed += 1
        else:
            report.indexed += 1
    for seg in rows.values():  # rows left: their files are gone
        _forget(seg, "segment file missing at recovery")
        report.removed += 1
    if report.unknown:
        log.warning("files of unknown cameras left as they are: %s", report.unknown[:5])


def _open_downtime_gaps(camera_ids: set[int], now: datetime) -> int:
    """A camera whose footage stops before now with no gap open lost footage while the
    recorder was down (killed, host rebooted): say so."""
    opened = 0
    for camera_id in camera_ids:
        if Gap.objects.unrestricted().filter(camera_id=camera_id, end__isnull=True).exists():
            continue
        last = Segment.objects.unrestricted().filter(camera_id=camera_id).order_by("-start")
        seg = last.first()
        if seg is None or seg.end is None or seg.end >= now:
            continue
        open_gap(camera_id, seg.end, GapCause.RECORDER_DOWN, "recorder not running")
        opened += 1
    return opened


@as_recorder
def stopped_states(node_id: int, detail: str) -> None:
    """On a clean stop: every camera this node recorded shows it is not recorded."""
    for row in CameraRecordingState.objects.unrestricted().filter(node_id=node_id):
        if row.state in (IngestState.RECORDING, IngestState.RECONNECTING, IngestState.STALLED):
            row.state, row.detail, row.since = IngestState.STOPPED, detail, timezone.now()
            row.save()

"""The stream copy of recorded MPEG-TS segments into one MP4, without FFmpeg.

Same contract as ``mp4export.remux`` (cut, timestamp shift, wall-clock cues, spans,
progress, cancel), in two passes over the segments (run by ``work``: in this thread
or in a worker process): the first reads them (numpy over the mapped file) and the
cut, the timestamps and the index are decided here from what they hold; then
``ftyp``, ``moov`` and the cues are written, and the second pass writes each
segment's samples at their place in ``mdat``. The index comes before the footage
without rewriting the file. Whatever the first pass does not understand raises
``Unsupported`` before the output is created: the caller then uses FFmpeg.
"""

from __future__ import annotations

import hashlib
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vigie.evidence import mp4export
from vigie.evidence.fastmp4 import boxes, h264, sps, ts, work
from vigie.evidence.fastmp4.ts import I64, Unsupported
from vigie.evidence.mp4export import Piece, RemuxCancelled, Remuxed, Span

TIME_BASE = Fraction(1, 90000)  # MPEG-TS timestamps
# The first pass keeps the segments' video for the second up to this much per remux
# (the rest is read again).
KEEP_BYTES = 512 * 1024 * 1024
PROGRESS_EVERY_S = 0.5
WAIT_S = 0.1  # how often the cancel flag is read while the workers run


@dataclass
class Digests:
    """SHA-256 of the output file, computed while it is written."""

    sha256: str


@dataclass
class _Piece:
    """What the first pass decided for one segment."""

    path: Path
    size: int
    es: ts.U8 | None
    nals: h264.Layout
    first: int  # access units [first, stop) are copied
    stop: int
    shift: int
    count: int


@dataclass
class _Plan:
    pieces: list[_Piece]
    spans: list[Span]
    skipped: list[tuple[Path, str]]
    video: boxes.Track
    description: bytes
    width: int
    height: int
    cues: list[tuple[int, int, bytes]]  # start, end (ms), payload


class _Tell:
    """Progress at most every PROGRESS_EVERY_S, and the cancel flag."""

    def __init__(
        self,
        progress: Callable[[float], None] | None,
        cancelled: Callable[[], bool] | None,
        total: int,
    ) -> None:
        self.progress, self.cancelled, self.total = progress, cancelled, max(total, 1)
        self.done = 0
        self.last = time.monotonic()

    def step(self, size: int) -> None:
        if self.cancelled is not None and self.cancelled():
            raise RemuxCancelled
        self.done += size
        now = time.monotonic()
        if self.progress is not None and now - self.last >= PROGRESS_EVERY_S:
            self.progress(min(self.done / self.total, 1.0))
            self.last = now


def remux(
    pieces: Sequence[Piece],
    output: Path,
    label: Callable[[datetime], str],
    *,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    digests: Callable[[Digests], None] | None = None,
) -> Remuxed:
    """``mp4export.remux`` for MPEG-TS H.264 segments; raises Unsupported (before
    creating ``output``) when the footage is not for this path. ``digests``, when
    given, receives the output's SHA-256."""
    if any(p.from_zero for p in pieces):
        raise Unsupported("pieces that start from zero (a re-encode's output)")
    sizes = [p.path.stat().st_size if p.path.exists() else 0 for p in pieces]
    tell = _Tell(progress, cancelled, 2 * sum(sizes))
    pool = work.executor(sum(sizes))
    try:
        plan = _plan(pieces, sizes, label, tell, pool)
        try:
            found = _write(plan, output, tell, pool, digests is not None)
        except BaseException:
            output.unlink(missing_ok=True)
            raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if digests is not None and found is not None:
        digests(found)
    if progress is not None:
        progress(1.0)
    return Remuxed(plan.spans, plan.skipped)


@dataclass
class _Template:
    parameters: bytes
    info: sps.H264Sps
    description: bytes
    duration: int


def _template(found: work.Scan) -> _Template:
    sps_nal, pps_nal = found.sps, found.pps
    if sps_nal is None or pps_nal is None:
        raise Unsupported("no SPS/PPS in the first segment")
    info = sps.parse(sps_nal)
    avcc = sps.avcc(sps_nal, pps_nal, info)
    description = boxes.avc1(info.width, info.height, avcc, info.aspect)
    return _Template(sps_nal, info, description, _frame_duration(found.path))


def _frame_duration(path: Path) -> int:
    """A packet's duration as FFmpeg's demuxer gives it (from the frame rate it
    measures), in 90 kHz ticks: the last picture of each segment lasts that long."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if stream.time_base != TIME_BASE:
                raise Unsupported("unexpected time base")
            for packet in container.demux(stream):
                if packet.duration:
                    return int(packet.duration)
                break
            rate = stream.average_rate or stream.guessed_rate or 25
            return max(round(1 / (Fraction(rate) * TIME_BASE)), 1)
    except av.FFmpegError as exc:
        raise Unsupported(f"FFmpeg cannot read the first segment ({exc})") from exc


def _cut(
    pts: I64, dts: I64, keys: np.ndarray, start: int | None, end: int | None
) -> tuple[int, int] | None:
    """The access units [first, stop) that ``mp4export._PieceCopy`` writes: from the
    last keyframe at or before the start, until the decoding time reaches the end
    and no picture shown before the last one written remains."""
    key_at = np.flatnonzero(keys)
    if not len(key_at):
        return None
    k0 = int(key_at[0])
    if start is None:
        trigger = k0
    else:
        later = np.where(keys[k0:], pts[k0:] > start, pts[k0:] >= start)
        found = np.flatnonzero(later)
        if not len(found):
            return None
        trigger = k0 + int(found[0])
    if end is not None and (dts[: trigger + 1] >= end).any():
        return None
    before = key_at[key_at < trigger]
    first = int(before[-1]) if len(before) else trigger
    stop = len(pts)
    if end is not None and trigger + 1 < len(pts):
        shown = np.maximum.accumulate(pts[first:])
        after = np.arange(trigger + 1, len(pts))
        done = (dts[after] >= end) & (pts[after] >= shown[after - 1 - first])
        hits = np.flatnonzero(done)
        if len(hits):
            stop = int(after[hits[0]])
    return first, stop


class _Cues(mp4export._Cues):
    """``mp4export``'s cue timing (the same arithmetic), kept as (start ms, end ms,
    sample) instead of FFmpeg packets."""

    def __init__(self, label: Callable[[datetime], str]) -> None:
        super().__init__(None, label)
        self.found: list[tuple[int, int, bytes]] = []

    def _cue(self, start: float, end: float) -> Any:
        wall = datetime.fromtimestamp(int(start + self._delta + 1e-6), UTC)
        self.written += 1
        text = self.label(wall).encode()
        cue = (round(start * 1000), round(end * 1000), struct.pack(">H", len(text)) + text)
        self.found.append(cue)
        return cue


def _wall(piece: Piece, origin: int, value: int) -> datetime:
    seconds = (value - origin) * TIME_BASE
    return piece.wall_origin + timedelta(microseconds=round(seconds * 10**6))


def _results(futures: list[Future[Any]], tell: _Tell) -> Iterator[Future[Any]]:
    """The futures in order, as each is done; the cancel flag is read meanwhile."""
    try:
        for future in futures:
            while not future.done():
                tell.step(0)
                wait([future], timeout=WAIT_S)
            yield future
    except BaseException:
        for future in futures:
            future.cancel()
        wait(futures)  # the running ones are short: none writes after we return
        raise


def _outcomes(
    pool: Executor | None, fn: Callable[..., Any], calls: list[tuple[Any, ...]], tell: _Tell
) -> Iterator[Future[Any]]:
    """``fn`` over ``calls``, in order: in the workers, or one by one in this thread."""
    if pool is not None:
        yield from _results([pool.submit(fn, *args) for args in calls], tell)
        return
    for args in calls:
        tell.step(0)
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # as a worker would report it
            future.set_exception(exc)
        yield future


def _scans(
    pieces: Sequence[Piece], sizes: list[int], tell: _Tell, pool: Executor | None
) -> Iterator[Any]:
    """Each piece's Scan, or the OSError that kept it from being read."""
    kept = np.cumsum(sizes) <= KEEP_BYTES
    calls: list[tuple[Any, ...]]
    if pool is None:
        store = work.Store()
        calls = [(p.path, store if keep else None) for p, keep in zip(pieces, kept, strict=True)]
        scan: Callable[..., Any] = work.scan
    else:
        calls = [(p.path, bool(keep)) for p, keep in zip(pieces, kept, strict=True)]
        scan = work.scan_kept
    for future in _outcomes(pool, scan, calls, tell):
        try:
            yield future.result()
        except BrokenProcessPool as exc:
            raise Unsupported("the worker process died") from exc
        except OSError as exc:
            yield exc


def _place(
    piece: Piece,
    found: work.Scan,
    cut: tuple[int, int],
    duration: int,
    clock: mp4export._Clock,
    cues: _Cues,
) -> tuple[int, Span]:
    """The shift of the piece's timestamps on the output timeline, its cues, and what
    it gives (as ``mp4export._PieceCopy`` does it, with the same arithmetic)."""
    first, stop = cut
    origin = int(found.pts[0])
    pts, dts = found.pts[first:stop], found.dts[first:stop]
    tbf = float(TIME_BASE)
    shift = round(clock.next_dts / tbf) - int(dts[0])
    out_first = (int(pts[0]) + shift) * tbf
    wall_first = _wall(piece, origin, int(pts[0])).timestamp()
    list(cues.start_piece(out_first, wall_first - out_first))
    end_pts = int((pts + duration).max())
    clock.next_dts = (int(dts[-1]) + duration + shift) * tbf
    clock.last_end = max(clock.last_end, (end_pts + shift) * tbf)
    list(cues.end_piece(clock.last_end))
    first_wall, end_wall = _wall(piece, origin, int(pts.min())), _wall(piece, origin, end_pts)
    copied = int(found.annexb[first:stop].sum())
    return shift, Span(piece.path, first_wall, end_wall, stop - first, copied)


def _plan(
    pieces: Sequence[Piece],
    sizes: list[int],
    label: Callable[[datetime], str],
    tell: _Tell,
    pool: Executor | None,
) -> _Plan:
    cues, clock = _Cues(label), mp4export._Clock()
    template: _Template | None = None
    chosen: list[_Piece] = []
    spans: list[Span] = []
    skipped: list[tuple[Path, str]] = []
    tables: list[tuple[I64, I64, np.ndarray, I64]] = []
    for piece, size, found in zip(pieces, sizes, _scans(pieces, sizes, tell, pool), strict=True):
        tell.step(size)
        if isinstance(found, OSError):
            skipped.append((piece.path, f"cannot be read ({found})"))
            continue
        if template is None:
            template = _template(found)
        elif found.sps not in (None, template.parameters):
            raise Unsupported("a segment whose SPS differs from the first one's")
        origin = int(found.pts[0])
        start = mp4export._ticks(piece.cut_start, piece.wall_origin, origin, TIME_BASE)
        end = mp4export._ticks(piece.cut_end, piece.wall_origin, origin, TIME_BASE)
        cut = _cut(found.pts, found.dts, found.nals.keyframes, start, end)
        if cut is None:
            continue
        first, stop = cut
        pts, dts = found.pts[first:stop], found.dts[first:stop]
        shift, span = _place(piece, found, cut, template.duration, clock, cues)
        spans.append(span)
        chosen.append(
            _Piece(piece.path, size, found.es, found.nals, first, stop, shift, found.count)
        )
        keys, sizes_out = found.nals.keyframes[first:stop], found.nals.sample_sizes[first:stop]
        tables.append((pts + shift, dts + shift, keys, sizes_out))
    if not chosen or template is None:
        raise Unsupported("nothing to copy: FFmpeg says why")
    video = _video_track(tables, chosen, template.duration)
    return _Plan(
        chosen,
        spans,
        skipped,
        video,
        template.description,
        template.info.width,
        template.info.height,
        cues.found,
    )


def _video_track(
    tables: list[tuple[I64, I64, np.ndarray, I64]], pieces: list[_Piece], duration: int
) -> boxes.Track:
    pts = np.concatenate([t[0] for t in tables])
    dts = np.concatenate([t[1] for t in tables])
    if (np.diff(dts) <= 0).any() or (pts < dts).any():
        raise Unsupported("decoding times that do not increase, or pictures shown early")
    return boxes.Track(
        timescale=boxes.VIDEO_TIMESCALE,
        dts=dts,
        cts=pts - dts,
        last_duration=duration,
        sizes=np.concatenate([t[3] for t in tables]),
        keys=np.concatenate([t[2] for t in tables]),
        chunk_offsets=np.zeros(len(pieces), np.int64),
        chunk_samples=np.array([p.stop - p.first for p in pieces], np.int64),
    )


def _subtitle_track(cues: list[tuple[int, int, bytes]]) -> tuple[boxes.Track, list[bytes]]:
    """The cues as FFmpeg's muxer stores them: an empty sample fills the time before
    the first cue and any gap between two, and one ends the last."""
    empty = b"\x00\x00"
    times: list[int] = []
    data: list[bytes] = []
    at = 0
    for start, end, payload in cues:
        if times and start <= times[-1]:
            raise Unsupported("cues out of order")
        # A cue that starts before the previous one ends (pictures shown late in the
        # previous piece) cuts it short, as in FFmpeg's muxer.
        if start > at or (not times and start > 0):
            times.append(at)
            data.append(empty)
        times.append(start)
        data.append(payload)
        at = end
    times.append(at)
    data.append(empty)
    scale = boxes.SUBTITLE_TIMESCALE // 1000
    dts = np.array(times, np.int64) * scale
    track = boxes.Track(
        timescale=boxes.SUBTITLE_TIMESCALE,
        dts=dts,
        cts=np.zeros(len(dts), np.int64),
        last_duration=0,
        sizes=np.array([len(d) for d in data], np.int64),
        keys=None,
        chunk_offsets=np.zeros(1, np.int64),
        chunk_samples=np.array([len(data)], np.int64),
    )
    return track, data


def _write(
    plan: _Plan, output: Path, tell: _Tell, pool: Executor | None, hashing: bool
) -> Digests | None:
    subtitles, cue_data = _subtitle_track(plan.cues)
    cue_bytes = b"".join(cue_data)
    payload = len(cue_bytes) + int(plan.video.sizes.sum())
    ftyp = boxes.box(b"ftyp", boxes.FTYP)

    def moov() -> bytes:
        return boxes.moov(plan.video, plan.description, plan.width, plan.height, subtitles)

    size = len(moov())  # the offsets are 64-bit: their values do not change the size
    mdat_header = (
        struct.pack(">I4s", 8 + payload, b"mdat")
        if 8 + payload <= boxes.U32
        else struct.pack(">I4sQ", 1, b"mdat", 16 + payload)
    )
    base = len(ftyp) + size + len(mdat_header)
    subtitles.chunk_offsets[0] = base
    per_piece = np.array([int(p.nals.sample_sizes[p.first : p.stop].sum()) for p in plan.pieces])
    offsets = base + len(cue_bytes) + np.cumsum(per_piece) - per_piece
    plan.video.chunk_offsets[:] = offsets
    head = ftyp + moov() + mdat_header + cue_bytes
    with output.open("wb") as f:
        f.write(head)
    # The digest follows the writing: in this thread, or in the worker process (which
    # takes its calls in order).
    hasher = work.Hasher() if hashing and pool is None else None
    if hasher is not None:
        hasher.update(head)
    in_worker = hashing and pool is not None
    started = pool.submit(work.start_digest, head) if in_worker and pool is not None else None
    calls = [
        (p.path, output, int(at), p.nals, (p.first, p.stop, p.count), p.es, hasher, in_worker)
        for p, at in zip(plan.pieces, offsets.tolist(), strict=True)
    ]
    results = _outcomes(pool, work.write_piece, calls, tell)
    for piece, wanted, future in zip(plan.pieces, per_piece.tolist(), results, strict=True):
        try:
            written = future.result()
        except BrokenProcessPool as exc:
            raise Unsupported("the worker process died") from exc
        if written != wanted:
            raise Unsupported(f"{piece.path.name}: {written} bytes written, {wanted} expected")
        tell.step(piece.size)
    if started is not None and pool is not None:
        started.result()
        return Digests(pool.submit(work.end_digest).result())
    return Digests(hasher.sha.hexdigest()) if hasher is not None else None


def digest_file(path: Path) -> Digests:
    """SHA-256 of a file."""
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            sha.update(chunk)
    return Digests(sha.hexdigest())

"""Footage to one MP4 by stream copy, with a wall-clock subtitle track.

The stored MPEG-TS segments (or the output of a masked re-encode) are demuxed with
PyAV and their video packets written unchanged into an MP4: no decoding, so no loss
of quality (arrêté of 3 August 2007). The first piece starts at the last keyframe at
or before the asked start, so that its first picture decodes; the last one stops
once the decoding time reaches the asked end and the pictures shown before the last
one written are in: every packet written has its references, and none is left out
between the first and the last picture. Each piece's timestamps are shifted so the
MP4's timeline runs on without a hole, while a ``mov_text`` subtitle track carries the
true date and time of the images (one cue per second) with the camera's name and
location: a jump in the subtitles shows where footage is missing.

This is the one place that chooses the muxing options.
"""

from __future__ import annotations

import logging
import math
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import av

if TYPE_CHECKING:
    from vigie.evidence.fastmp4 import Digests

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
# Moves the index in front of the footage: a browser plays the file while it loads.
MP4_OPTIONS = {"movflags": "+faststart"}
SUBTITLE_TB = Fraction(1, 1000)
# The mov_text encoder needs an ASS header to open, though it only stores plain text.
_ASS_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n"
    b"[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
    b"OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, "
    b"Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, "
    b"Encoding\nStyle: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,"
    b"2,10,10,10,0\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, "
    b"MarginV, Effect, Text\n"
)
# How often (packets) the caller's cancel flag is read, and progress told (seconds).
CANCEL_EVERY = 250
PROGRESS_EVERY_S = 0.5
# False: every remux goes through FFmpeg (PyAV), as before ``fastmp4``.
FAST_REMUX = True


class RemuxCancelled(Exception):
    """The caller's cancel flag was raised during the remux."""


class RemuxError(Exception):
    """The footage cannot be written as MP4 (no video stream, unreadable file)."""


@dataclass(frozen=True)
class Piece:
    """One media file to copy: ``wall_origin`` is the wall-clock time of its first
    timestamp (of timestamp 0 with ``from_zero``); only what shows within
    [cut_start, cut_end) is kept (None: no cut)."""

    path: Path
    wall_origin: datetime
    cut_start: datetime | None = None
    cut_end: datetime | None = None
    # True: timestamp 0 (not the first one) is ``wall_origin``, as in a re-encode's output.
    from_zero: bool = False


@dataclass(frozen=True)
class Span:
    """What one piece gave: its first and last instants shown, in wall-clock time."""

    path: Path
    first: datetime
    end: datetime
    packets: int
    bytes: int


def caption(at: datetime, camera_name: str, location: str) -> str:
    where = f"{camera_name}, {location}" if location else camera_name
    return f"{at.astimezone(PARIS):%Y-%m-%d %H:%M:%S} Europe/Paris — {where}"


def _cue_packet(text: str, stream: Any, start_ms: int, end_ms: int) -> av.Packet:
    data = text.encode()
    packet = av.Packet(struct.pack(">H", len(data)) + data)
    packet.stream = stream
    packet.time_base = SUBTITLE_TB
    packet.pts = packet.dts = start_ms
    packet.duration = max(end_ms - start_ms, 1)
    return packet


class _Cues:
    """Emits one subtitle cue per wall-clock second, a second behind the video, so that
    each cue's end is known when it is written (bounded interleaving)."""

    def __init__(self, stream: Any, label: Callable[[datetime], str]) -> None:
        self.stream = stream
        self.label = label
        self.written = 0
        self._delta = 0.0  # wall epoch seconds − output seconds, for the current piece
        self._next = 0.0  # output seconds where the next cue starts
        self._open = False
        self.due = math.inf  # output seconds from which ``advance`` has a cue to give

    def start_piece(self, out_first: float, delta: float) -> Iterator[av.Packet]:
        yield from self.end_piece(out_first)
        self._delta, self._next, self._open = delta, out_first, True
        self.due = self._boundary()

    def _boundary(self) -> float:
        """Output seconds of the next whole wall-clock second after the open cue's start."""
        return float(int(self._next + self._delta) + 1) - self._delta

    def advance(self, out_now: float) -> Iterator[av.Packet]:
        """The cues that end at or before ``out_now`` (cheap to skip: see ``due``)."""
        while self._open:
            boundary = self._boundary()
            if boundary > out_now:
                self.due = boundary
                return
            yield self._cue(self._next, boundary)
            self._next = boundary

    def end_piece(self, out_end: float) -> Iterator[av.Packet]:
        if not self._open:
            return
        yield from self.advance(out_end)
        if out_end - self._next > 0.001:
            yield self._cue(self._next, out_end)
        self._open = False
        self.due = math.inf

    def _cue(self, start: float, end: float) -> av.Packet:
        wall = datetime.fromtimestamp(int(start + self._delta + 1e-6), UTC)
        self.written += 1
        return _cue_packet(self.label(wall), self.stream, round(start * 1000), round(end * 1000))


@dataclass
class _Clock:
    """Where the output timeline stands, in seconds."""

    next_dts: float = 0.0
    last_end: float = 0.0


def _ticks(moment: datetime | None, origin: datetime, origin_pts: int, tb: Fraction) -> int | None:
    if moment is None:
        return None
    return origin_pts + round(Fraction((moment - origin) / timedelta(microseconds=1)) / 10**6 / tb)


class _Writer:
    """The output file and its two streams, opened on the first piece."""

    def __init__(self, output: Path, label: Callable[[datetime], str]) -> None:
        self.output = output
        self.label = label
        self.container: Any = None
        self.video: Any = None
        self.template: Any = None
        self.cues: _Cues | None = None
        self.clock = _Clock()

    def open(self, template: Any) -> None:
        self.template = template
        self.container = av.open(str(self.output), "w", format="mp4", container_options=MP4_OPTIONS)
        self.video = self.container.add_stream_from_template(template)
        sub = self.container.add_stream("mov_text")
        sub.codec_context.subtitle_header = _ASS_HEADER
        sub.metadata["language"] = "fre"
        sub.metadata["handler_name"] = "Horodatage"
        self.cues = _Cues(sub, self.label)

    def mux(self, packets: Sequence[av.Packet] | Iterator[av.Packet]) -> None:
        for packet in packets:
            self.container.mux(packet)

    def close(self, ok: bool) -> None:
        if self.container is None:
            return
        if ok and self.cues is not None:
            self.mux(list(self.cues.end_piece(self.clock.last_end)))
        self.container.close()


@dataclass
class Remuxed:
    """What the output holds (one span per piece copied) and the pieces left out."""

    spans: list[Span]
    skipped: list[tuple[Path, str]]


def remux(
    pieces: Sequence[Piece],
    output: Path,
    label: Callable[[datetime], str],
    *,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    digests: Callable[[Digests], None] | None = None,
) -> Remuxed:
    """Copy the pieces' video into ``output`` (MP4) and say what each one gave.

    A piece that cannot be read, or whose video differs from the first one's (codec,
    picture size), is left out and named in ``skipped``; a read error midway keeps
    what came before it. Raises RemuxError when nothing could be copied,
    RemuxCancelled when asked to stop (the output is then incomplete: the caller
    removes it). ``digests``, when given, receives the output's SHA-256,
    computed as it is written (read back after FFmpeg's path).

    Recorded MPEG-TS H.264 segments go through ``fastmp4`` (numpy, several times
    faster, the same samples and timestamps); anything it does not handle is left to
    FFmpeg, through PyAV."""
    if FAST_REMUX:
        from vigie.evidence import fastmp4

        try:
            return fastmp4.remux(
                pieces, output, label, progress=progress, cancelled=cancelled, digests=digests
            )
        except fastmp4.Unsupported:
            pass  # said before anything was written (or the output was removed)
        except RemuxCancelled:
            raise
        except Exception:  # a fault of the fast path must not cost the export
            logger.warning("fastmp4 failed on %s; FFmpeg copies it", output.name, exc_info=True)
            output.unlink(missing_ok=True)
    result = _remux_av(pieces, output, label, progress=progress, cancelled=cancelled)
    if digests is not None:
        from vigie.evidence import fastmp4

        digests(fastmp4.digest_file(output))
    return result


def _remux_av(
    pieces: Sequence[Piece],
    output: Path,
    label: Callable[[datetime], str],
    *,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Remuxed:
    """The stream copy by FFmpeg: any input PyAV reads."""
    sizes = [max(p.path.stat().st_size if p.path.exists() else 0, 1) for p in pieces]
    total, done = sum(sizes) or 1, 0
    writer = _Writer(output, label)
    result = Remuxed([], [])
    try:
        for piece, size in zip(pieces, sizes, strict=True):
            span = _copy_piece(piece, writer, _Progress(progress, done, total), cancelled, result)
            done += size
            if progress is not None:
                progress(done / total)
            if span is not None:
                result.spans.append(span)
    finally:
        writer.close(bool(result.spans))
    if not result.spans:
        output.unlink(missing_ok=True)
        reasons = "; ".join(f"{path.name}: {why}" for path, why in result.skipped)
        raise RemuxError(f"no video could be copied from the footage in this range ({reasons})")
    return result


@dataclass
class _Progress:
    """Tells the caller how far a piece is, at most every PROGRESS_EVERY_S."""

    tell: Callable[[float], None] | None
    done: int
    total: int
    last: float = field(default_factory=time.monotonic)

    def __call__(self, position: int) -> None:
        now = time.monotonic()
        if self.tell is not None and now - self.last >= PROGRESS_EVERY_S:
            self.tell(min((self.done + max(position, 0)) / self.total, 1.0))
            self.last = now


def _same_format(template: Any, stream: Any) -> bool:
    a, b = template.codec_context, stream.codec_context
    return bool(a.name == b.name and a.width == b.width and a.height == b.height)


def _copy_piece(
    piece: Piece,
    writer: _Writer,
    progress: _Progress,
    cancelled: Callable[[], bool] | None,
    result: Remuxed,
) -> Span | None:
    try:
        source = av.open(str(piece.path))
    except (av.FFmpegError, OSError) as exc:
        result.skipped.append((piece.path, f"cannot be read ({exc})"))
        return None
    with source:
        if not source.streams.video:
            result.skipped.append((piece.path, "no video stream"))
            return None
        stream = source.streams.video[0]
        if writer.container is None:
            writer.open(stream)
        elif not _same_format(writer.template, stream):
            ctx = stream.codec_context
            why = f"its video ({ctx.name} {ctx.width}×{ctx.height}) differs from the first piece's"
            result.skipped.append((piece.path, why))
            return None
        copier = _PieceCopy(piece, stream, writer)
        try:
            for n, packet in enumerate(source.demux(stream)):
                if n % CANCEL_EVERY == 0:
                    if cancelled is not None and cancelled():
                        raise RemuxCancelled
                    progress(packet.pos or 0)
                if not copier.take(packet):
                    break
        except av.FFmpegError as exc:
            result.skipped.append(
                (piece.path, f"read error after {copier.packets} packets ({exc})")
            )
        return copier.finish()


class _PieceCopy:
    """The cut and the timestamp shift of one piece, packet by packet."""

    def __init__(self, piece: Piece, stream: Any, writer: _Writer) -> None:
        self.piece = piece
        self.writer = writer
        self.tb: Fraction = stream.time_base
        self.tbf = float(self.tb)
        # The first timestamp of the file is the segment's start (as tsindex reads it).
        self.origin_pts: int | None = None
        self.cut_start: int | None = None
        self.cut_end: int | None = None
        rate = stream.average_rate or stream.guessed_rate or 25
        self.default_duration = max(round(1 / (Fraction(rate) * self.tb)), 1)
        self.pending: list[av.Packet] = []
        self.started = False
        self.shift = 0
        self.first_pts: int | None = None
        self.max_pts: int | None = None
        self.end_pts: int | None = None
        self.next_dts = 0
        self.video: Any = None
        self.container: Any = None
        self.cues: _Cues = None  # type: ignore[assignment]  # set when the copy begins
        self.packets = 0
        self.bytes = 0

    def take(self, packet: av.Packet) -> bool:
        """Handle one packet; False once past the cut's end."""
        if packet.pts is None or packet.dts is None or not packet.size:
            return True
        pts = int(packet.pts)
        if self.origin_pts is None:
            self._set_origin(pts)
        if self.cut_end is not None and int(packet.dts) >= self.cut_end:
            # Past the end in decoding order: only the pictures shown before the last
            # one written (B-frames) still come, then the copy stops.
            if self.started and self.max_pts is not None and pts < self.max_pts:
                self._write(packet)
                return True
            return False
        if self.started:
            self._write(packet)
            return True
        start = self.cut_start
        if packet.is_keyframe and (start is None or pts <= start):
            self.pending = [packet]  # a later keyframe still at or before the start wins
            if start is None:
                self._begin()
        elif packet.is_keyframe:
            self.pending.append(packet)
            self._begin()
        elif self.pending:  # without its keyframe a packet cannot be decoded: dropped
            self.pending.append(packet)
            if start is None or pts >= start:
                self._begin()
        return True

    def _set_origin(self, pts: int) -> None:
        piece = self.piece
        self.origin_pts = pts = 0 if piece.from_zero else pts
        self.cut_start = _ticks(piece.cut_start, piece.wall_origin, pts, self.tb)
        self.cut_end = _ticks(piece.cut_end, piece.wall_origin, pts, self.tb)

    def _begin(self) -> None:
        self.started = True
        self.video = self.writer.video
        self.container = self.writer.container
        assert self.writer.cues is not None
        self.cues = self.writer.cues
        first = self.pending[0]
        first_pts: int = first.pts  # type: ignore[assignment]
        first_dts: int = first.dts  # type: ignore[assignment]
        self.shift = round(self.writer.clock.next_dts / self.tbf) - first_dts
        out_first = (first_pts + self.shift) * self.tbf
        wall_first = self._wall(first_pts).timestamp()
        self.writer.mux(list(self.cues.start_piece(out_first, wall_first - out_first)))
        pending, self.pending = self.pending, []
        for packet in pending:
            self._write(packet)

    def _write(self, packet: av.Packet) -> None:
        # The hot path (tens of thousands of packets a minute): integers, one float.
        pts: int = packet.pts  # type: ignore[assignment]
        dts: int = packet.dts  # type: ignore[assignment]
        duration = packet.duration or self.default_duration
        if self.first_pts is None:
            self.first_pts = self.max_pts = pts
            self.end_pts = pts + duration
        else:
            self.first_pts = min(self.first_pts, pts)
            self.max_pts = max(self.max_pts or pts, pts)
            self.end_pts = max(self.end_pts or pts, pts + duration)
        self.next_dts = dts + duration
        self.packets += 1
        self.bytes += packet.size
        shift = self.shift
        packet.pts, packet.dts = pts + shift, dts + shift
        packet.duration = duration
        packet.stream = self.video
        at = (pts + shift) * self.tbf
        if at >= self.cues.due:
            self.writer.mux(list(self.cues.advance(at)))
        self.container.mux(packet)

    def finish(self) -> Span | None:
        if self.first_pts is None or self.end_pts is None:
            return None
        clock = self.writer.clock
        clock.next_dts = (self.next_dts + self.shift) * self.tbf
        clock.last_end = max(clock.last_end, (self.end_pts + self.shift) * self.tbf)
        self.writer.mux(list(self.cues.end_piece(clock.last_end)))
        return Span(
            self.piece.path,
            self._wall(self.first_pts),
            self._wall(self.end_pts),
            self.packets,
            self.bytes,
        )

    def _wall(self, pts: int) -> datetime:
        seconds = (pts - (self.origin_pts or 0)) * self.tb
        return self.piece.wall_origin + timedelta(microseconds=round(seconds * 10**6))

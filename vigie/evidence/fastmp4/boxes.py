"""The MP4 boxes of our evidence files: an H.264 track and a tx3g subtitle track, in
the layout FFmpeg's MP4 muxer gives them (so that players and the verification see
the same file whichever path wrote it). Sample tables are built with numpy."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MOVIE_TIMESCALE = 1000
VIDEO_TIMESCALE = 90000
SUBTITLE_TIMESCALE = 1_000_000
U32 = 0xFFFFFFFF
MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
# The mov_text encoder's sample description for our plain-text cues (FFmpeg writes the
# same bytes from the ASS header in ``mp4export``): white Arial text, no box.
TX3G_CONFIG = bytes.fromhex(
    "0000000001ff000000ff00000000000000000000000000010010ffffffff"
    "00000012667461620001000105417269616c"
)
FTYP = b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41"

I64 = npt.NDArray[np.int64]


def box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def full(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return box(kind, struct.pack(">I", version << 24 | flags), *parts)


def language(code: str) -> int:
    return sum((ord(c) - 0x60) << (10 - 5 * n) for n, c in enumerate(code))


def rescale_up(value: int, to: int, frm: int) -> int:
    return -(-value * to // frm)


def _be32(values: I64) -> bytes:
    return np.asarray(values, dtype=">u4").tobytes()


def _runs(values: I64) -> tuple[I64, I64]:
    """Run-length encoding: (counts, values)."""
    if not len(values):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    change = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate(([0], change))
    counts = np.diff(np.append(starts, len(values)))
    return counts, values[starts]


def stts(deltas: I64) -> bytes:
    counts, values = _runs(deltas)
    table = np.column_stack((counts, values)).ravel()
    return full(b"stts", 0, 0, struct.pack(">I", len(counts)), _be32(table))


def ctts(offsets: I64) -> bytes:
    counts, values = _runs(offsets)
    table = np.column_stack((counts, values)).ravel()
    return full(b"ctts", 0, 0, struct.pack(">I", len(counts)), _be32(table))


def stss(keys: npt.NDArray[np.bool_]) -> bytes:
    numbers = np.flatnonzero(keys) + 1
    return full(b"stss", 0, 0, struct.pack(">I", len(numbers)), _be32(numbers))


def stsz(sizes: I64) -> bytes:
    if len(sizes) and (sizes == sizes[0]).all():
        return full(b"stsz", 0, 0, struct.pack(">II", int(sizes[0]), len(sizes)))
    return full(b"stsz", 0, 0, struct.pack(">II", 0, len(sizes)), _be32(sizes))


def stsc(per_chunk: I64) -> bytes:
    counts, values = _runs(per_chunk)
    first = np.concatenate(([0], np.cumsum(counts)[:-1])) + 1
    table = np.column_stack((first, values, np.ones_like(values))).ravel()
    return full(b"stsc", 0, 0, struct.pack(">I", len(values)), _be32(table))


def co64(offsets: I64) -> bytes:
    data = np.asarray(offsets, dtype=">u8").tobytes()
    return full(b"co64", 0, 0, struct.pack(">I", len(offsets)), data)


def _versioned(fmt32: str, fmt64: str, *values: int) -> tuple[int, bytes]:
    if any(v > U32 or v < 0 for v in values):
        return 1, struct.pack(fmt64, *values)
    return 0, struct.pack(fmt32, *values)


def mvhd(duration: int, next_track: int) -> bytes:
    version, times = _versioned(">IIII", ">QQIQ", 0, 0, MOVIE_TIMESCALE, duration)
    tail = struct.pack(">IH10x", 0x10000, 0x100) + MATRIX + bytes(24)
    return full(b"mvhd", version, 0, times, tail, struct.pack(">I", next_track))


def tkhd(track: int, duration: int, group: int, width: int = 0, height: int = 0) -> bytes:
    if duration > U32:
        times = struct.pack(">QQII Q", 0, 0, track, 0, duration)
        version = 1
    else:
        times = struct.pack(">IIIII", 0, 0, track, 0, duration)
        version = 0
    tail = struct.pack(">8xhhhH", 0, group, 0, 0) + MATRIX + struct.pack(">II", width, height)
    return full(b"tkhd", version, 3, times, tail)


def edts(entries: list[tuple[int, int]]) -> bytes:
    """An edit list: (duration in movie time, media time or -1 for an empty edit)."""
    big = any(d > 0x7FFFFFFF or t > 0x7FFFFFFF for d, t in entries)
    rows = b"".join(struct.pack(">qqI" if big else ">iiI", d, t, 0x10000) for d, t in entries)
    return box(b"edts", full(b"elst", int(big), 0, struct.pack(">I", len(entries)), rows))


def mdhd(timescale: int, duration: int, lang: str) -> bytes:
    version, times = _versioned(">IIII", ">QQIQ", 0, 0, timescale, duration)
    return full(b"mdhd", version, 0, times, struct.pack(">HH", language(lang), 0))


def hdlr(kind: bytes, name: str) -> bytes:
    return full(b"hdlr", 0, 0, bytes(4), kind, bytes(12), name.encode() + b"\x00")


def dinf() -> bytes:
    return box(b"dinf", full(b"dref", 0, 0, struct.pack(">I", 1), full(b"url ", 0, 1)))


def avc1(width: int, height: int, avcc: bytes, aspect: tuple[int, int]) -> bytes:
    head = bytes(6) + struct.pack(">H", 1) + bytes(16)
    head += struct.pack(">HHIIIH", width, height, 0x480000, 0x480000, 0, 1)
    head += bytes(32) + struct.pack(">Hh", 0x18, -1)
    extra = box(b"avcC", avcc)
    if aspect[0] and aspect[1]:
        extra += box(b"pasp", struct.pack(">II", *aspect))
    return box(b"avc1", head, extra)


def tx3g() -> bytes:
    return box(b"tx3g", bytes(6), struct.pack(">H", 1), TX3G_CONFIG)


@dataclass
class Track:
    """One track's samples: decode times and composition offsets in ``timescale``,
    the duration of the last sample, sizes, sync samples and chunks."""

    timescale: int
    dts: I64
    cts: I64
    last_duration: int
    sizes: I64
    keys: npt.NDArray[np.bool_] | None
    chunk_offsets: I64
    chunk_samples: I64

    def deltas(self) -> I64:
        return np.append(np.diff(self.dts), self.last_duration).astype(np.int64)

    def pts_duration(self) -> int:
        """As FFmpeg's muxer: the last shown instant less the first sample's."""
        ends = self.dts + self.cts + self.deltas()
        return int(ends.max() - (self.dts[0] + self.cts[0]))

    def edit(self) -> tuple[list[tuple[int, int]], int]:
        """The edit list (an empty edit first when the first picture is shown late)
        and the track's duration in movie time."""
        start = int(self.dts[0] + self.cts[0])
        delay = start * MOVIE_TIMESCALE // self.timescale
        duration = rescale_up(self.pts_duration(), MOVIE_TIMESCALE, self.timescale)
        if delay > 0:
            return [(delay, -1), (duration, start)], delay + duration
        return [(duration + delay, -int(min(self.dts[0], 0)))], duration + delay

    def stbl(self, description: bytes) -> bytes:
        parts = [full(b"stsd", 0, 0, struct.pack(">I", 1), description), stts(self.deltas())]
        if self.keys is not None and not self.keys.all():
            parts.append(stss(self.keys))
        if (self.cts != 0).any():
            parts.append(ctts(self.cts))
        parts += [stsc(self.chunk_samples), stsz(self.sizes), co64(self.chunk_offsets)]
        return box(b"stbl", *parts)


def moov(video: Track, description: bytes, width: int, height: int, subtitles: Track) -> bytes:
    video_edits, video_len = video.edit()
    sub_edits, sub_len = subtitles.edit()
    video_trak = box(
        b"trak",
        tkhd(1, video_len, 0, width << 16, height << 16),
        edts(video_edits),
        box(
            b"mdia",
            mdhd(video.timescale, video.pts_duration(), "und"),
            hdlr(b"vide", "VideoHandler"),
            box(b"minf", full(b"vmhd", 0, 1, bytes(8)), dinf(), video.stbl(description)),
        ),
    )
    sub_trak = box(
        b"trak",
        tkhd(2, sub_len, 3),
        edts(sub_edits),
        box(
            b"mdia",
            mdhd(subtitles.timescale, subtitles.pts_duration(), "fre"),
            hdlr(b"sbtl", "Horodatage"),
            box(b"minf", full(b"nmhd", 0, 0), dinf(), subtitles.stbl(tx3g())),
        ),
    )
    return box(b"moov", mvhd(max(video_len, sub_len), 3), video_trak, sub_trak)

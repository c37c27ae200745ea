"""H.264 access units from Annex B (start codes) to MP4 samples (4-byte lengths).

FFmpeg's MP4 muxer rewrites each packet NAL by NAL: a NAL runs from just after a
``00 00 01`` to the next one, less one zero byte (the first byte of a 4-byte start
code); what comes before the first start code of a packet is dropped; every NAL is
kept (access unit delimiters, parameter sets, SEI). This module finds the start codes
of a whole segment at once with numpy and writes the same bytes: a 4-byte start code
becomes the length in place, and only the shorter ones need the data to move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vigie.evidence.fastmp4.ts import I64, U8, Elementary, Unsupported, scratch

IDR = 5
SEI = 6
SPS = 7
PPS = 8
RECOVERY_POINT = 6  # SEI payload type


@dataclass
class Layout:
    """Where the NALs of a segment's access units are, in ``Elementary.es``.

    NAL n belongs to access unit ``unit[n]``; the bytes ``es[head[n]:body[n]]`` (the
    start code and anything before it) become its 4-byte length, and its data is
    ``es[body[n]:body[n] + size[n]]``."""

    unit: I64
    head: I64
    body: I64
    size: I64
    kinds: npt.NDArray[np.uint8]
    sample_sizes: I64
    keyframes: npt.NDArray[np.bool_]

    def first(self, es: U8, kind: int) -> bytes | None:
        found = np.flatnonzero(self.kinds == kind)
        if not len(found):
            return None
        n = int(found[0])
        return bytes(es[self.body[n] : self.body[n] + self.size[n]])


def layout(stream: Elementary) -> Layout:
    es, starts = stream.es, stream.starts
    ends = stream.ends()
    if len(es) < 4:
        raise Unsupported("no H.264 data")
    ones = np.flatnonzero(np.equal(es[2:], 1, out=scratch("ones", len(es) - 2, np.bool_)))
    codes = ones[(es[ones] == 0) & (es[ones + 1] == 0)]
    unit = np.searchsorted(starts, codes, side="right") - 1
    inside = codes + 3 <= ends[unit]  # a start code across two packets does not count
    codes, unit = codes[inside], unit[inside]
    body = codes + 3
    if len(codes) == 0 or np.count_nonzero(np.diff(unit)) + 1 != len(starts):
        raise Unsupported("an access unit without a start code")
    new_unit = np.empty(len(unit), dtype=bool)
    new_unit[0] = True
    new_unit[1:] = unit[1:] != unit[:-1]
    # The zero before 00 00 01 belongs to the start code, unless it is the previous
    # NAL's first byte; in front of a unit's first NAL, everything goes.
    prev_body = np.empty_like(body)
    prev_body[0] = 0
    prev_body[1:] = body[:-1]
    zero_before = (codes > prev_body) & (es[np.maximum(codes - 1, 0)] == 0)
    head = np.where(zero_before, codes - 1, codes)
    head[new_unit] = starts[unit[new_unit]]
    nal_end = np.empty_like(body)
    nal_end[:-1] = head[1:]
    nal_end[-1] = ends[unit[-1]]
    last_of_unit = np.empty(len(unit), dtype=bool)
    last_of_unit[-1] = True
    last_of_unit[:-1] = new_unit[1:]
    nal_end[last_of_unit] = ends[unit[last_of_unit]]
    size = nal_end - body
    if (size <= 0).any():
        raise Unsupported("an empty NAL")
    kinds = es[body] & 0x1F
    sample_sizes = np.bincount(unit, weights=size + 4, minlength=len(starts)).astype(np.int64)
    keyframes = np.zeros(len(starts), dtype=bool)
    keyframes[unit[kinds == IDR]] = True
    _check_recovery_points(es, unit, body, size, kinds, keyframes)
    return Layout(unit, head, body, size, kinds, sample_sizes, keyframes)


def _check_recovery_points(
    es: U8,
    unit: I64,
    body: I64,
    size: I64,
    kinds: npt.NDArray[np.uint8],
    keys: npt.NDArray[np.bool_],
) -> None:
    """FFmpeg also calls a picture with a recovery point a keyframe (open GOPs,
    intra refresh): such streams are left to it."""
    sei = np.flatnonzero((kinds == SEI) & (size > 1))
    recovery = sei[es[body[sei] + 1] == RECOVERY_POINT]
    if len(recovery) and not keys[unit[recovery]].all():
        raise Unsupported("recovery point SEI outside IDR pictures")


def sample_data(es: U8, nals: Layout, first: int, stop: int) -> list[memoryview]:
    """The MP4 bytes of access units [first, stop): buffers to write one after the
    other. The 4-byte start codes of ``es`` are overwritten with the lengths."""
    lo, hi = np.searchsorted(nals.unit, [first, stop])
    head, body, size = nals.head[lo:hi], nals.body[lo:hi], nals.size[lo:hi]
    in_place = body - head == 4
    at, value = head[in_place], size[in_place]
    for byte in range(4):
        es[at + byte] = (value >> (24 - 8 * byte)) & 0xFF  # big-endian, unaligned
    end = int(body[-1] + size[-1])
    view = memoryview(es)  # type: ignore[arg-type]
    moved = np.flatnonzero(~in_place)
    if not len(moved):
        return [view[int(head[0]) : end]]
    out: list[memoryview] = []
    cursor = int(head[0])
    header_bytes = memoryview(size.astype(">u4").tobytes())
    for n, h, b in zip(moved.tolist(), head[moved].tolist(), body[moved].tolist(), strict=True):
        if h > cursor:
            out.append(view[cursor:h])
        out.append(header_bytes[4 * n : 4 * n + 4])
        cursor = b
    if end > cursor:
        out.append(view[cursor:end])
    return out

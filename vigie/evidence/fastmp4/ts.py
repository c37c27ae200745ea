"""MPEG-TS segments read with numpy: the video stream's access units, without a Python
loop per TS packet.

The whole file is mapped and viewed as (packets, 188) bytes; the headers of every
packet are read as columns, the PES payloads of the video PID are gathered in one
block copy and a join of runs, and each PES (one access unit, as our recorder and
FFmpeg write them) gives a sample with its PTS and DTS. Anything this reader does not
expect (no sync byte, a section over several packets, a continuity error, a PES
without timestamps) is raised as ``Unsupported`` so that the caller copies the file
with FFmpeg instead.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

PACKET = 188
SYNC = 0x47
# PMT stream types this reader knows, by codec name (as FFmpeg names them).
STREAM_TYPES = {0x1B: "h264", 0x24: "hevc"}
# Other video stream types: the file is left to FFmpeg.
OTHER_VIDEO_TYPES = {0x01, 0x02, 0x10, 0x42, 0xD1, 0xEA}
WRAP = 1 << 33

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]


class Unsupported(Exception):
    """The file is not one this reader understands (the caller falls back to FFmpeg)."""


@dataclass
class Elementary:
    """A segment's video: ``es`` holds the access units end to end, the k-th one is
    ``es[starts[k]:starts[k + 1]]`` (the last one runs to the end)."""

    path: Path
    codec: str
    es: U8
    starts: I64
    pts: I64
    dts: I64
    random_access: npt.NDArray[np.bool_]  # the TS flag on each access unit's first packet

    @property
    def count(self) -> int:
        return len(self.starts)

    def ends(self) -> I64:
        return np.append(self.starts[1:], len(self.es)).astype(np.int64)


_scratch = threading.local()


def scratch(name: str, size: int, dtype: type = np.uint8) -> npt.NDArray[Any]:
    """This thread's buffer ``name``, reused from segment to segment. Fresh memory
    costs a page fault per 4 KiB, and faults serialise the threads of a process:
    reusing a few buffers keeps two exports side by side as fast as one."""
    buffers: dict[str, npt.NDArray[Any]] = _scratch.__dict__.setdefault("buffers", {})
    buffer = buffers.get(name)
    if buffer is None or len(buffer) < size or buffer.dtype != dtype:
        buffer = np.empty(size + size // 4, dtype)
        buffers[name] = buffer
    return buffer[:size]


def _packets(path: Path) -> tuple[U8, mmap.mmap]:
    """The file's whole packets, mapped (no copy: the page cache's pages)."""
    with path.open("rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        count = size // PACKET  # a truncated last packet is left out, as FFmpeg does
        if count == 0:
            raise Unsupported("too short to be MPEG-TS")
        mapped = mmap.mmap(f.fileno(), count * PACKET, access=mmap.ACCESS_READ)
    raw = np.frombuffer(mapped, np.uint8).reshape(count, PACKET)
    if not (raw[:, 0] == SYNC).all():
        raise Unsupported("not aligned MPEG-TS packets")
    return raw, mapped


def _section(raw: U8, pids: npt.NDArray[np.int64], pid: int, table: int) -> bytes:
    """The first complete PSI section of ``table`` on ``pid`` (within one packet)."""
    rows = np.flatnonzero((pids == pid) & ((raw[:, 1] & 0x40) != 0))
    for row in rows[:8].tolist():
        packet = bytes(raw[row])
        afc = (packet[3] >> 4) & 3
        start = 4 + (1 + packet[4] if afc & 2 else 0)
        if not afc & 1 or start >= PACKET:
            continue
        start += 1 + packet[start]  # pointer field
        if start + 3 > PACKET or packet[start] != table:
            continue
        length = ((packet[start + 1] & 0x0F) << 8) | packet[start + 2]
        if start + 3 + length > PACKET:
            raise Unsupported("a PSI section spans several packets")
        return packet[start : start + 3 + length]
    raise Unsupported(f"no table {table} on PID {pid}")


def _video_pid(raw: U8, pids: npt.NDArray[np.int64]) -> tuple[int, str]:
    pat = _section(raw, pids, 0, 0x00)
    programs = pat[8:-4]
    pmt_pid = None
    for n in range(0, len(programs) - 3, 4):
        number = int.from_bytes(programs[n : n + 2], "big")
        if number != 0:
            pmt_pid = int.from_bytes(programs[n + 2 : n + 4], "big") & 0x1FFF
            break
    if pmt_pid is None:
        raise Unsupported("no program in the PAT")
    pmt = _section(raw, pids, pmt_pid, 0x02)
    info_length = int.from_bytes(pmt[10:12], "big") & 0x0FFF
    n = 12 + info_length
    while n + 5 <= len(pmt) - 4:
        kind, pid = pmt[n], int.from_bytes(pmt[n + 1 : n + 3], "big") & 0x1FFF
        n += 5 + (int.from_bytes(pmt[n + 3 : n + 5], "big") & 0x0FFF)
        if kind in STREAM_TYPES:
            return pid, STREAM_TYPES[kind]
        if kind in OTHER_VIDEO_TYPES:
            raise Unsupported(f"video stream type 0x{kind:02x}")
    raise Unsupported("no video stream")


def _timestamp(raw: U8, at: I64) -> I64:
    """The 33-bit PES timestamps whose 5 bytes start at flat offsets ``at``."""
    b = [raw.reshape(-1)[at + k].astype(np.int64) for k in range(5)]
    return ((b[0] >> 1) & 7) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1


def _unwrap(values: I64) -> I64:
    """Timestamps that went past 2³³ during the file, made to run on."""
    if len(values) and values.max() - values.min() > WRAP // 2:
        values = np.where(values < values[0] - WRAP // 2, values + WRAP, values)
    return values


Allocate = Callable[[int], U8]


def read(path: Path, into: Allocate | None = None) -> Elementary:
    """The video of one segment (its own arrays: nothing refers to the file); its
    ``es`` in memory from ``into`` if given."""
    raw, mapped = _packets(path)
    try:
        return _read(path, raw, into)
    finally:
        del raw
        # Views of the map may outlive this call in a traceback: then the collector
        # closes it.
        with contextlib.suppress(BufferError):
            mapped.close()


def _read(path: Path, raw: U8, into: Allocate | None) -> Elementary:
    pids = ((raw[:, 1].astype(np.int64) & 0x1F) << 8) | raw[:, 2]
    pid, codec = _video_pid(raw, pids)
    rows = np.flatnonzero(pids == pid)
    head = raw[rows, 1:6]
    if (head[:, 0] & 0x80).any():
        raise Unsupported("transport error indicator set")
    afc = head[:, 2] >> 4 & 3
    has_af = (afc & 2) != 0
    offset = 4 + np.where(has_af, 1 + head[:, 3].astype(np.int64), 0)
    payload = (afc & 1) != 0
    if (offset[payload] > PACKET).any():
        raise Unsupported("adaptation field longer than the packet")
    keep = payload & (offset < PACKET)
    _check_continuity(head[keep], has_af[keep])
    rows, offset, unit_start = rows[keep], offset[keep], (head[keep, 0] & 0x40) != 0
    first = np.flatnonzero(unit_start)
    if len(first) == 0:
        raise Unsupported("no PES in the video stream")
    # Payload before the first PES start continues the previous file's: FFmpeg drops it.
    rows, offset, unit_start = rows[first[0] :], offset[first[0] :], unit_start[first[0] :]
    pes_at = rows[unit_start] * PACKET + offset[unit_start]
    flat = raw.reshape(-1)
    first_rows = rows[unit_start] * PACKET
    random_access = (flat[first_rows + 3] & 0x20 != 0) & (flat[first_rows + 4] > 0)
    random_access &= flat[first_rows + 5] & 0x40 != 0
    if pes_at.max() + 14 > len(flat):
        raise Unsupported("PES header cut short")
    prefix = (flat[pes_at] == 0) & (flat[pes_at + 1] == 0) & (flat[pes_at + 2] == 1)
    flags = flat[pes_at + 7] >> 6
    header = flat[pes_at + 8].astype(np.int64)
    if not prefix.all() or (flags & 2 == 0).any() or (flags == 1).any():
        raise Unsupported("a video PES without a start code or without a PTS")
    offset[unit_start] += 9 + header
    if (offset > PACKET).any():
        raise Unsupported("a PES header spans several packets")
    pts = _unwrap(_timestamp(raw, pes_at + 9))
    dts = _unwrap(np.where(flags == 3, _timestamp(raw, pes_at + 14), pts))
    lengths = PACKET - offset
    es = _gather(raw, rows, offset, into)
    starts = (np.cumsum(lengths) - lengths)[unit_start]
    _check_pes_lengths(flat, pes_at, header, starts, len(es))
    return Elementary(path, codec, es, starts, pts, dts, random_access)


def _gather(raw: U8, rows: I64, offset: I64, into: Allocate | None) -> U8:
    """The payloads of ``rows`` end to end. Most packets carry 184 bytes after a
    4-byte header: they are copied as one block, then the few with an adaptation
    field or a PES header lose those bytes as the runs between them are joined."""
    body = raw[rows, 4:].reshape(-1)
    special = np.flatnonzero(offset != 4)
    cuts_from = special * (PACKET - 4)
    cuts_to = cuts_from + offset[special] - 4
    starts = np.concatenate(([0], cuts_to)).tolist()
    ends = np.append(cuts_from, len(body)).tolist()
    if into is not None:
        out = into(len(body) - int((cuts_to - cuts_from).sum()))
        runs = [body[a:b] for a, b in zip(starts, ends, strict=True)]
        return np.concatenate(runs, out=out)
    if not len(special):
        return body
    view = memoryview(body)  # type: ignore[arg-type]
    joined = bytearray().join([view[a:b] for a, b in zip(starts, ends, strict=True)])
    return np.frombuffer(joined, np.uint8)  # writable: the MP4 lengths go in place


def _check_continuity(head: U8, af: npt.NDArray[np.bool_]) -> None:
    """Packets lost or repeated on the video PID make FFmpeg's parser re-split the
    stream in ways this reader does not follow."""
    if len(head) < 2:
        return
    cc = head[:, 2] & 0x0F
    jumps = ((cc[1:] - cc[:-1]) & 0x0F) != 1
    if not jumps.any():
        return
    # The discontinuity indicator (adaptation field flags) excuses a jump.
    excused = af[1:] & (head[1:, 3] > 0) & ((head[1:, 4] & 0x80) != 0)
    if (jumps & ~excused).any():
        raise Unsupported("continuity error on the video PID")


def _check_pes_lengths(flat: U8, pes_at: I64, header: I64, starts: I64, total: int) -> None:
    declared = (flat[pes_at + 4].astype(np.int64) << 8) | flat[pes_at + 5]
    sizes = np.append(starts[1:], total) - starts
    bounded = declared != 0
    if (sizes[bounded] != declared[bounded] - 3 - header[bounded]).any():
        raise Unsupported("a PES whose length does not match its payload")

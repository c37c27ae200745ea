"""The per-segment work of the stream copy: in the calling thread, or in a worker
process of its own for each remux.

Reading a segment and writing its samples is numpy over a few megabytes, in a few
hundred steps that each give Python's lock back and take it again: two exports in
threads of one process slow each other down (the lock, and page faults, which
serialise a process's threads). A remux of at least ``PROCESS_MIN_BYTES`` therefore
runs its segments in a spawned worker process, which keeps each segment's video
between the two passes (up to ``stream_copy.KEEP_BYTES``) and writes the samples
straight into the output file at the offset the index gave them; only small tables
cross between the processes. On the 2-core benchmark machine (4 cameras × 1 h, two
exports side by side) this took the footage from ~5 s in threads to ~3.6 s.
``PROCESSES = False`` keeps everything in the calling thread.
"""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vigie.evidence.fastmp4 import h264, ts
from vigie.evidence.fastmp4.ts import I64, Unsupported

PROCESSES = True
# Smaller remuxes stay in the calling thread: starting a process costs ~0.3 s.
PROCESS_MIN_BYTES = 256 * 1024 * 1024
IOV_MAX = 1024


@dataclass
class Scan:
    """What the first pass needs of a segment (small arrays only)."""

    path: Path
    codec: str
    count: int
    pts: I64
    dts: I64
    annexb: I64  # each access unit's size in the file
    nals: h264.Layout
    sps: bytes | None
    pps: bytes | None
    es: ts.U8 | None = None  # kept for the second pass (in the calling thread only)


def scan(path: Path, keep: Store | None = None) -> Scan:
    stream = ts.read(path, keep.take if keep is not None else None)
    if stream.codec != "h264":
        raise Unsupported(f"{stream.codec} video (H.264 only)")
    nals = h264.layout(stream)
    if (stream.random_access & ~nals.keyframes).any():
        # FFmpeg's demuxer would call these pictures keyframes too: left to it.
        raise Unsupported("random access points that are not IDR pictures")
    return Scan(
        path,
        stream.codec,
        stream.count,
        stream.pts,
        stream.dts,
        stream.ends() - stream.starts,
        nals,
        nals.first(stream.es, h264.SPS),
        nals.first(stream.es, h264.PPS),
        stream.es if keep is not None else None,
    )


class Hasher:
    """SHA-256 of what is written, in the file's order (the calling thread writes the
    pieces one after the other)."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()

    def update(self, data: bytes) -> None:
        self.sha.update(data)  # leaves Python's lock while it works


# In a worker process: the digest of the output it writes, piece after piece (its
# calls come in the order they were made).
_hasher: Hasher | None = None


def start_digest(head: bytes) -> None:
    global _hasher
    _hasher = Hasher()
    _hasher.update(head)


def end_digest() -> str:
    global _hasher
    found, _hasher = _hasher, None
    if found is None:
        raise Unsupported("no digest under way")
    return found.sha.hexdigest()


def write_piece(
    path: Path,
    output: Path,
    offset: int,
    nals: h264.Layout,
    span: tuple[int, int, int],
    es: ts.U8 | None = None,
    hasher: Hasher | None = None,
    digest_here: bool = False,
) -> int:
    """Access units [first, stop) of ``path`` (``span``: first, stop and the file's
    count) as MP4 samples, written into ``output`` at ``offset``; returns the number
    of bytes written. ``es``: the video kept from the first pass, if it was;
    ``hasher``: what follows the bytes written (``digest_here``: this process's)."""
    if digest_here:
        hasher = _hasher
    first, stop, count = span
    if es is None:
        es = _kept.pop(str(path), None)
    if es is None:
        stream = ts.read(path)
        if stream.count != count:
            raise Unsupported(f"{path.name} changed during the export")
        es = stream.es
    buffers = h264.sample_data(es, nals, first, stop)
    if hasher is not None:
        joined = b"".join(buffers)
        hasher.update(joined)
        buffers = [memoryview(joined)]
    fd = os.open(output, os.O_WRONLY)
    try:
        return _pwritev(fd, buffers, offset)
    finally:
        os.close(fd)


def _pwritev(fd: int, buffers: list[memoryview], offset: int) -> int:
    done = 0
    for n in range(0, len(buffers), IOV_MAX):
        chunk = buffers[n : n + IOV_MAX]
        wanted = sum(map(len, chunk))
        written = os.pwritev(fd, chunk, offset + done)
        if written != wanted:  # a short write (a signal, a full disk): finish by hand
            rest = memoryview(b"".join(chunk))[written:]
            while len(rest):
                step = os.pwrite(fd, rest, offset + done + written)
                if step <= 0:
                    raise OSError("nothing written")
                written += step
                rest = rest[step:]
        done += written
    return done


def executor(size: int) -> ProcessPoolExecutor | None:
    """A worker process of its own for one remux of ``size`` bytes of footage (the
    segments' video stays in it between the two passes), or None: the calling
    thread. The caller shuts it down."""
    if not PROCESSES or size < PROCESS_MIN_BYTES:
        return None
    try:
        # Spawned, not forked: the caller has threads (and maybe a database).
        return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    except (OSError, ValueError, NotImplementedError):
        return None


# In a worker process: the segments' video kept by ``scan_kept`` for ``write_piece``.
_kept: dict[str, ts.U8] = {}
_store: Store | None = None


def scan_kept(path: Path, keep: bool) -> Scan:
    """``scan`` in a worker process, keeping the video there for the second pass."""
    global _store
    if _store is None:
        _store = Store()
    found = scan(path, _store if keep else None)
    if found.es is not None:
        _kept[str(path)] = found.es
    found.es = None
    return found


class Store:
    """Where the first pass keeps the segments' video for the second, in the calling
    thread: large anonymous maps whose pages the kernel provides at once. Memory
    touched page by page costs a fault per 4 KiB, and faults serialise the threads
    of a process (two exports run side by side)."""

    CHUNK = 64 * 1024 * 1024

    def __init__(self) -> None:
        self.chunk: ts.U8 | None = None
        self.used = 0

    def take(self, size: int) -> ts.U8:
        if self.chunk is None or self.used + size > len(self.chunk):
            flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)
            mapped = mmap.mmap(-1, max(self.CHUNK, size), flags=flags)
            self.chunk, self.used = np.frombuffer(mapped, np.uint8), 0
        taken = self.chunk[self.used : self.used + size]
        self.used += size
        return taken

"""The package's zip, written so that its big files cost one kernel copy each.

Python's ``zipfile`` passes every byte through Python (read, CRC, write) and writes
one member at a time. A package's footage is hundreds of MB per camera, already
hashed by the time it is zipped, and the cameras finish one after the other: here each
member's place is reserved as soon as its size and CRC are known, its header written,
and its bytes copied by the kernel (``copy_file_range``: page cache to page cache)
while other members are still being made. Members are stored (footage does not
compress) or deflated (the small text files), with Zip64 records where sizes or
offsets pass 4 GiB, so any unzip tool (and ``zipfile``) reads the result.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LOCAL = b"PK\x03\x04"
CENTRAL = b"PK\x01\x02"
END = b"PK\x05\x06"
END64 = b"PK\x06\x06"
LOCATOR64 = b"PK\x06\x07"
STORED, DEFLATED = 0, 8
UTF8_NAMES = 0x800
LIMIT = 0xFFFFFFFF
UNIX = 3
COPY_CHUNK = 1 << 26  # per copy_file_range call: cancel is checked between calls


def dos_time(epoch: float) -> tuple[int, int]:
    """(time, date) in the MS-DOS form zip headers use, local time like ``zip``."""
    t = time.localtime(max(epoch, 315532800))  # nothing before 1980 can be said
    return (
        (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2),
        ((t.tm_year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday,
    )


@dataclass(frozen=True)
class Member:
    name: bytes
    method: int
    crc: int
    size: int  # uncompressed
    stored_size: int  # as written
    offset: int  # of the local header
    when: tuple[int, int]


def _zip64_extra(*values: int) -> bytes:
    return struct.pack(f"<HH{len(values)}Q", 1, 8 * len(values), *values)


def _local_header(m: Member) -> bytes:
    big = m.size >= LIMIT or m.stored_size >= LIMIT
    extra = _zip64_extra(m.size, m.stored_size) if big else b""
    sizes = (LIMIT, LIMIT) if big else (m.stored_size, m.size)
    version = 45 if big else 20
    head = struct.pack(
        "<4sHHHHHIIIHH", LOCAL, version, UTF8_NAMES, m.method, *m.when, m.crc, *sizes,
        len(m.name), len(extra),
    )  # fmt: skip
    return head + m.name + extra


def _central_entry(m: Member) -> bytes:
    # Each field too big for 32 bits says 0xFFFFFFFF and has its value in the Zip64
    # extra, in this order.
    values = (m.size, m.stored_size, m.offset)
    wide = [v for v in values if v >= LIMIT]
    size, stored, offset = (min(v, LIMIT) for v in values)
    extra = _zip64_extra(*wide) if wide else b""
    version = 45 if wide else 20
    head = struct.pack(
        "<4sHHHHHHIIIHHHHHII", CENTRAL, (UNIX << 8) | version, version, UTF8_NAMES, m.method,
        *m.when, m.crc, stored, size, len(m.name), len(extra), 0, 0, 0, 0o100644 << 16, offset,
    )  # fmt: skip
    return head + m.name + extra


class StoredZip:
    """A zip being written; members may be added from several threads at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._lock = threading.Lock()
        self._end = 0
        self._members: list[Member] = []
        self._closed = False

    def _reserve(self, name: str, method: int, crc: int, size: int, stored: int) -> int:
        """Write the member's header at the end of the archive; return where its bytes go."""
        with self._lock:
            if self._closed:
                raise ValueError("the zip is closed")
            member = Member(
                name.encode(), method, crc, size, stored, self._end, dos_time(time.time())
            )
            header = _local_header(member)
            os.pwrite(self.fd, header, self._end)
            data_at = self._end + len(header)
            self._end = data_at + stored
            self._members.append(member)
            return data_at

    def add_bytes(self, name: str, data: bytes, *, compress: bool = True) -> None:
        body = data
        method = STORED
        if compress:
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            deflated = packer.compress(data) + packer.flush()
            if len(deflated) < len(data):
                body, method = deflated, DEFLATED
        at = self._reserve(name, method, zlib.crc32(data), len(data), len(body))
        os.pwrite(self.fd, body, at)

    def add_file(
        self, name: str, source: Path, crc: int, size: int, check: Callable[[], None]
    ) -> None:
        """Store ``source`` (``size`` bytes, CRC-32 ``crc`` already known) as ``name``;
        ``check`` is called between copies and may raise to stop."""
        at = self._reserve(name, STORED, crc, size, size)
        with source.open("rb") as src:
            done = 0
            while done < size:
                check()
                count = min(COPY_CHUNK, size - done)
                copied = _copy(src.fileno(), self.fd, count, done, at + done)
                if copied == 0:
                    raise OSError(f"{source} is shorter than {size} bytes")
                done += copied

    def close(self) -> None:
        """Write the central directory; the archive is complete after this."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            start = self._end
            directory = b"".join(_central_entry(m) for m in self._members)
            os.pwrite(self.fd, directory + self._trailer(start, len(directory)), start)
            os.close(self.fd)

    def abandon(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                os.close(self.fd)

    def _trailer(self, start: int, length: int) -> bytes:
        count = len(self._members)
        tail = b""
        if count >= 0xFFFF or start >= LIMIT or length >= LIMIT:
            end64_at = start + length
            tail = struct.pack(
                "<4sQHHIIQQQQ", END64, 44, (UNIX << 8) | 45, 45, 0, 0, count, count, length, start
            ) + struct.pack("<4sIQI", LOCATOR64, 0, end64_at, 1)
        return tail + struct.pack(
            "<4sHHHHIIH", END, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
            min(length, LIMIT), min(start, LIMIT), 0,
        )  # fmt: skip


def _copy(src: int, dst: int, count: int, src_at: int, dst_at: int) -> int:
    try:
        return os.copy_file_range(src, dst, count, src_at, dst_at)
    except OSError:  # another file system, an old kernel: through user space
        data = os.pread(src, min(count, 1 << 22), src_at)
        return os.pwrite(dst, data, dst_at) if data else 0

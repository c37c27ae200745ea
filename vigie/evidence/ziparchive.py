"""The package's zip, made from the package directory when it is asked for.

An export keeps one copy of its footage: the package directory. The zip (what is
downloaded, or written by ``vigie export --zip``) is the directory's files stored
one after the other with zip headers around them, so it is streamed from the
directory as it is sent rather than kept as a second copy of every byte: a 4-camera
hour is 1.7 GB less on disk and one copy less at export time.

The stream is the same bytes every time (members in name order, stored, with each
file's modification time), so the hash of a delivered zip can be computed again from
the package at any time, and its length is known before the first byte (for
``Content-Length``). Each member's CRC-32 is computed just before its header is sent
(one read of the file from the page cache). Zip64 records are used where sizes or
offsets pass 4 GiB, so any unzip tool (and ``zipfile``) reads the result. Written to a
file (``write``), the members' bytes are copied by the kernel (``copy_file_range``).
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LOCAL = b"PK\x03\x04"
CENTRAL = b"PK\x01\x02"
END = b"PK\x05\x06"
END64 = b"PK\x06\x06"
LOCATOR64 = b"PK\x06\x07"
STORED = 0
UTF8_NAMES = 0x800
LIMIT = 0xFFFFFFFF
UNIX = 3
CHUNK = 1 << 20


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
    path: Path
    crc: int
    size: int
    offset: int  # of the local header
    when: tuple[int, int]


def _zip64_extra(*values: int) -> bytes:
    return struct.pack(f"<HH{len(values)}Q", 1, 8 * len(values), *values)


def _local_header(m: Member) -> bytes:
    big = m.size >= LIMIT
    extra = _zip64_extra(m.size, m.size) if big else b""
    sizes = (LIMIT, LIMIT) if big else (m.size, m.size)
    version = 45 if big else 20
    head = struct.pack(
        "<4sHHHHHIIIHH", LOCAL, version, UTF8_NAMES, STORED, *m.when, m.crc, *sizes,
        len(m.name), len(extra),
    )  # fmt: skip
    return head + m.name + extra


def _central_entry(m: Member) -> bytes:
    # Each field too big for 32 bits says 0xFFFFFFFF and has its value in the Zip64
    # extra, in this order.
    values = (m.size, m.size, m.offset)
    wide = [v for v in values if v >= LIMIT]
    size, stored, offset = (min(v, LIMIT) for v in values)
    extra = _zip64_extra(*wide) if wide else b""
    version = 45 if wide else 20
    head = struct.pack(
        "<4sHHHHHHIIIHHHHHII", CENTRAL, (UNIX << 8) | version, version, UTF8_NAMES, STORED,
        *m.when, m.crc, stored, size, len(m.name), len(extra), 0, 0, 0, 0o100644 << 16, offset,
    )  # fmt: skip
    return head + m.name + extra


def _trailer(count: int, start: int, length: int) -> bytes:
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


class _Zip(ABC):
    """A zip as it is sent: its name, its length, its bytes in order."""

    filename: str
    length: int

    @abstractmethod
    def chunks(self) -> Iterator[bytes]: ...

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for data in self.chunks():
            digest.update(data)
        return digest.hexdigest()


class PackageZip(_Zip):
    """The zip of a package directory: its files under ``<directory name>/``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise FileNotFoundError(f"{self.directory}: no package directory")
        self.filename = f"{self.directory.name}.zip"
        self._members: list[Member] = []
        offset = 0
        for path in sorted(p for p in self.directory.iterdir() if p.is_file()):
            info = path.stat()
            name = f"{self.directory.name}/{path.name}".encode()
            member = Member(name, path, 0, info.st_size, offset, dos_time(info.st_mtime))
            self._members.append(member)
            offset += len(_local_header(member)) + member.size
        self._directory_at = offset
        # The CRCs are not known yet; the central directory's length does not depend
        # on them.
        self._directory_length = sum(len(_central_entry(m)) for m in self._members)
        trailer = _trailer(len(self._members), offset, self._directory_length)
        self.length = offset + self._directory_length + len(trailer)

    def chunks(self) -> Iterator[bytes]:
        """The zip's bytes, in order. Raises OSError if a file changed since."""
        for part in self._parts():
            if isinstance(part, bytes):
                yield part
                continue
            f, size = part
            left = size
            while left:
                data = f.read(min(CHUNK, left))
                if not data:
                    raise OSError(f"{f.name} is shorter than when the zip began")
                left -= len(data)
                yield data

    def _parts(self) -> Iterator[bytes | tuple[io.FileIO, int]]:
        """Headers as bytes; each member's data as its open file (at 0) and size."""
        done: list[Member] = []
        for member in self._members:
            with member.path.open("rb", buffering=0) as f:
                crc = _crc(f, member)
                done_member = Member(
                    member.name, member.path, crc, member.size, member.offset, member.when
                )
                yield _local_header(done_member)
                f.seek(0)
                yield f, member.size
            done.append(done_member)
        central = b"".join(_central_entry(m) for m in done)
        yield central + _trailer(len(done), self._directory_at, len(central))

    def write(self, path: Path) -> Path:
        """The zip as a file (written beside, then renamed: never half a zip)."""
        partial = path.with_name(f".{path.name}.partial")
        try:
            # Unbuffered: the kernel copies the data between the headers we write.
            with partial.open("wb", buffering=0) as out:
                for part in self._parts():
                    if isinstance(part, bytes):
                        _write_all(out, part)
                    else:
                        _copy(part[0], out.fileno(), part[1])
                os.fsync(out.fileno())
            partial.rename(path)
        finally:
            partial.unlink(missing_ok=True)
        return path


class ZipFileOnDisk(_Zip):
    """A zip already written (``vigie export --zip``, or an export made before zips
    were streamed), with ``PackageZip``'s interface."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.filename = self.path.name
        self.length = self.path.stat().st_size

    def chunks(self) -> Iterator[bytes]:
        with self.path.open("rb", buffering=0) as f:
            while data := f.read(CHUNK):
                yield data


def _write_all(out: io.FileIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = out.write(view)
        if not written:
            raise OSError(f"{out.name}: nothing written")
        view = view[written:]


def _copy(source: io.FileIO, target: int, size: int) -> None:
    """``size`` bytes of ``source`` (from where it is) appended to ``target``, copied by
    the kernel where it can."""
    left = size
    while left:
        try:
            done = os.copy_file_range(source.fileno(), target, min(left, 1 << 30))
        except OSError:  # another file system, an old kernel: through user space
            data = source.read(min(CHUNK, left))
            done = os.write(target, data) if data else 0
        if done == 0:
            raise OSError(f"{source.name} is shorter than when the zip began")
        left -= done


def _crc(f: io.FileIO, member: Member) -> int:
    crc, size = 0, 0
    while data := f.read(CHUNK):
        crc = zlib.crc32(data, crc)
        size += len(data)
    if size != member.size:
        raise OSError(f"{member.path} changed size since the zip began")
    return crc

"""The package's zip writer: what it writes, any zip reader reads."""

from __future__ import annotations

import os
import subprocess
import threading
import zipfile
import zlib
from pathlib import Path

import pytest

from vigie.evidence import ziparchive


def _file(path: Path, size: int) -> tuple[Path, int]:
    data = os.urandom(size)
    path.write_bytes(data)
    return path, zlib.crc32(data)


def _never() -> None:
    return None


def test_members_added_from_several_threads_read_back(tmp_path: Path) -> None:
    archive = ziparchive.StoredZip(tmp_path / "p.zip")
    sources = [_file(tmp_path / f"cam{n}.mp4", 3_000_000 + n) for n in range(4)]
    threads = [
        threading.Thread(
            target=archive.add_file, args=(f"pkg/{p.name}", p, crc, p.stat().st_size, _never)
        )
        for p, crc in sources
    ]
    for t in threads:
        t.start()
    archive.add_bytes("pkg/manifest.json", b'{"a": 1}\n' * 200)
    archive.add_bytes("pkg/key.sig", os.urandom(64))  # does not deflate: stored
    for t in threads:
        t.join()
    archive.close()
    with zipfile.ZipFile(tmp_path / "p.zip") as zf:
        assert zf.testzip() is None
        infos = {i.filename: i for i in zf.infolist()}
        for path, _ in sources:
            assert zf.read(f"pkg/{path.name}") == path.read_bytes()
            assert infos[f"pkg/{path.name}"].compress_type == zipfile.ZIP_STORED
        assert infos["pkg/manifest.json"].compress_type == zipfile.ZIP_DEFLATED
        assert infos["pkg/key.sig"].compress_type == zipfile.ZIP_STORED
        assert zf.read("pkg/manifest.json") == b'{"a": 1}\n' * 200


def test_unzip_checks_it(tmp_path: Path) -> None:
    archive = ziparchive.StoredZip(tmp_path / "p.zip")
    path, crc = _file(tmp_path / "v.mp4", 100_000)
    archive.add_file("pkg/v.mp4", path, crc, 100_000, _never)
    archive.add_bytes("pkg/é.txt", "procès-verbal".encode())
    archive.close()
    out = subprocess.run(["unzip", "-t", str(tmp_path / "p.zip")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_offsets_past_4_gib_use_zip64(tmp_path: Path) -> None:
    archive = ziparchive.StoredZip(tmp_path / "big.zip")
    archive.add_bytes("a.txt", b"first")
    archive._end += 1 << 32  # as if a 4 GiB member came before (a sparse hole here)
    archive.add_bytes("b.txt", b"second")
    archive.close()
    with zipfile.ZipFile(tmp_path / "big.zip") as zf:
        info = zf.getinfo("b.txt")
        assert info.header_offset > ziparchive.LIMIT
        assert zf.read("b.txt") == b"second" and zf.read("a.txt") == b"first"


def test_a_check_that_raises_stops_the_copy(tmp_path: Path) -> None:
    archive = ziparchive.StoredZip(tmp_path / "p.zip")
    path, crc = _file(tmp_path / "v.mp4", 1000)

    def stop() -> None:
        raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError):
        archive.add_file("v.mp4", path, crc, 1000, stop)
    archive.abandon()
    with pytest.raises(ValueError):
        archive.add_bytes("late.txt", b"x")


def test_a_source_shorter_than_announced_is_an_error(tmp_path: Path) -> None:
    archive = ziparchive.StoredZip(tmp_path / "p.zip")
    path, crc = _file(tmp_path / "v.mp4", 1000)
    with pytest.raises(OSError, match="shorter"):
        archive.add_file("v.mp4", path, crc, 2000, _never)
    archive.abandon()

"""The package's zip, streamed from the directory: what it gives, any zip reader reads."""

from __future__ import annotations

import hashlib
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from vigie.evidence import ziparchive


def _package(tmp_path: Path, sizes: dict[str, int]) -> Path:
    directory = tmp_path / "PV-2026-1-20261123T080000Z"
    directory.mkdir()
    for name, size in sizes.items():
        (directory / name).write_bytes(os.urandom(size))
    return directory


def test_the_stream_is_a_zip_of_the_directory(tmp_path: Path) -> None:
    directory = _package(
        tmp_path, {"01-cam.mp4": 3_000_000, "02-cam.mp4": 1_000_001, "manifest.json": 500}
    )
    (directory / "procès-verbal.txt").write_text("procès-verbal")
    made = ziparchive.PackageZip(directory)
    target = made.write(tmp_path / made.filename)
    assert target.stat().st_size == made.length
    assert made.filename == f"{directory.name}.zip"
    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert [i.filename for i in infos] == sorted(
            f"{directory.name}/{p.name}" for p in directory.iterdir()
        )
        for info in infos:
            assert info.compress_type == zipfile.ZIP_STORED
            assert zf.read(info) == (tmp_path / info.filename).read_bytes()
    out = subprocess.run(["unzip", "-t", str(target)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert not list(tmp_path.glob(".*.partial"))


def test_the_same_bytes_every_time(tmp_path: Path) -> None:
    directory = _package(tmp_path, {"a.mp4": 200_000, "b.txt": 10})
    first = hashlib.sha256(b"".join(ziparchive.PackageZip(directory).chunks())).hexdigest()
    again = ziparchive.PackageZip(directory)
    assert again.sha256() == first
    on_disk = ziparchive.ZipFileOnDisk(again.write(tmp_path / "p.zip"))
    assert on_disk.sha256() == first and on_disk.length == again.length


def test_a_file_changed_midway_breaks_the_stream(tmp_path: Path) -> None:
    directory = _package(tmp_path, {"a.mp4": 100, "b.mp4": 100})
    made = ziparchive.PackageZip(directory)
    (directory / "b.mp4").write_bytes(b"shorter")
    with pytest.raises(OSError, match="changed size"):
        b"".join(made.chunks())
    with pytest.raises(OSError):
        made.write(tmp_path / "p.zip")
    assert not (tmp_path / "p.zip").exists()
    assert not list(tmp_path.glob(".*.partial"))


def test_no_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ziparchive.PackageZip(tmp_path / "gone")


def _write_sparse(chunks: object, target: Path) -> None:
    """The stream to a file, leaving holes for the runs of zeros (a 4 GiB sparse
    member costs no disk)."""
    with target.open("wb") as out:
        for data in chunks:  # type: ignore[attr-defined]
            if data.count(0) == len(data):
                out.seek(len(data), os.SEEK_CUR)
            else:
                out.write(data)
        out.truncate()


def test_members_past_4_gib_use_zip64(tmp_path: Path) -> None:
    directory = tmp_path / "big"
    directory.mkdir()
    with (directory / "a.mp4").open("wb") as f:
        f.truncate(ziparchive.LIMIT + 10)  # sparse: no disk used
    (directory / "b.txt").write_bytes(b"second")
    made = ziparchive.PackageZip(directory)
    target = tmp_path / "big.zip"
    _write_sparse(made.chunks(), target)
    assert target.stat().st_size == made.length
    with zipfile.ZipFile(target) as zf:
        info = zf.getinfo("big/a.mp4")
        assert info.file_size == ziparchive.LIMIT + 10
        assert zf.getinfo("big/b.txt").header_offset > ziparchive.LIMIT
        assert zf.read("big/b.txt") == b"second"

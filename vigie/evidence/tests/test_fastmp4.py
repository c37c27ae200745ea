"""The numpy stream copy (``fastmp4``) writes what FFmpeg's path writes: the same
video samples (bytes, timestamps, keyframes), the same cues, the same spans; and it
leaves to FFmpeg what it does not understand, before writing anything."""

from __future__ import annotations

import hashlib
import random
import shutil
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import pytest

from vigie.core.shared_data import shared_data
from vigie.evidence import fastmp4, mp4export
from vigie.evidence.fastmp4 import boxes, stream_copy, work
from vigie.evidence.mp4export import Piece

T0 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
CLIP = shared_data("intersection_traffic.mp4")


def label(at: datetime) -> str:
    return mp4export.caption(at, "ANT-GARE-01", "Place de la Gare")


@dataclass(frozen=True)
class Segments:
    paths: tuple[Path, ...]
    seconds: float

    def pieces(self, start_s: float | None = None, end_s: float | None = None) -> list[Piece]:
        cut_start = None if start_s is None else T0 + timedelta(seconds=start_s)
        cut_end = None if end_s is None else T0 + timedelta(seconds=end_s)
        return [
            Piece(p, T0 + timedelta(seconds=self.seconds * n), cut_start, cut_end)
            for n, p in enumerate(self.paths)
        ]


def ffmpeg(*args: str) -> None:
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", *args]
    subprocess.run(command, check=True, timeout=120, capture_output=True)


def segment(folder: Path, seconds: int, *args: str) -> Segments:
    folder.mkdir(parents=True, exist_ok=True)
    ffmpeg(*args, "-f", "segment", "-segment_time", str(seconds),
           "-segment_format", "mpegts", str(folder / "seg%03d.ts"))  # fmt: skip
    return Segments(tuple(sorted(folder.glob("seg*.ts"))), seconds)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Segments:
    """The shared CCTV clip (H.264 main profile, 3-byte start codes), as the recorder
    stores it."""
    if not CLIP.exists():
        pytest.skip("shared footage not available")
    folder = tmp_path_factory.mktemp("shared")
    return segment(folder, 10, "-i", str(CLIP), "-map", "0:v", "-c", "copy", "-t", "25")


@pytest.fixture(scope="module")
def pattern(tmp_path_factory: pytest.TempPathFactory) -> Segments:
    """x264's default (High) profile with B-frames and 4 slices a picture (3-byte start
    codes between them)."""
    folder = tmp_path_factory.mktemp("pattern")
    return segment(
        folder, 2,
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "8",
        "-c:v", "libx264", "-preset", "veryfast", "-x264-params", "slices=4",
        "-g", "25", "-pix_fmt", "yuv420p",
    )  # fmt: skip


def packets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    found: dict[str, list[tuple[Any, ...]]] = {}
    with av.open(str(path)) as container:
        for stream in container.streams:
            found[stream.type] = [
                (p.pts, p.dts, p.duration, p.is_keyframe, bytes(p))
                for p in container.demux(stream)
                if p.size
            ]
    return found


def probe_errors(path: Path) -> str:
    run = subprocess.run(
        ["ffprobe", "-v", "error", "-show_packets", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return run.stderr


def both(pieces: list[Piece], tmp_path: Path, name: str = "out") -> tuple[Any, Any, Path]:
    """The remux of ``pieces`` by FFmpeg and by fastmp4, checked equal."""
    by_ffmpeg, by_numpy = tmp_path / f"{name}-av.mp4", tmp_path / f"{name}-np.mp4"
    expected = mp4export._remux_av(pieces, by_ffmpeg, label)
    got = fastmp4.remux(pieces, by_numpy, label)
    assert got == expected
    want, have = packets(by_ffmpeg), packets(by_numpy)
    assert len(have["video"]) == len(want["video"])
    assert have["video"] == want["video"]
    assert have["subtitle"] == want["subtitle"]
    return expected, got, by_numpy


def test_the_shared_footage_copies_as_ffmpeg_does(shared: Segments, tmp_path: Path) -> None:
    _, got, output = both(shared.pieces(), tmp_path)
    assert [s.path for s in got.spans] == list(shared.paths)
    assert probe_errors(output) == ""
    assert got.spans[0].first == T0


def test_the_shared_footage_cut_as_ffmpeg_cuts(shared: Segments, tmp_path: Path) -> None:
    _, got, output = both(shared.pieces(3.3, 17.9), tmp_path)
    assert len(got.spans) == 2
    assert probe_errors(output) == ""


def test_b_frames_and_slices_copy_as_ffmpeg_does(pattern: Segments, tmp_path: Path) -> None:
    first = pattern.paths[0].read_bytes()
    assert b"\x00\x00\x01\x01" in first or b"\x00\x00\x01\x21" in first  # 3-byte codes
    _, got, output = both(pattern.pieces(), tmp_path)
    with av.open(str(output)) as container:
        video = container.streams.video[0]
        assert video.codec_context.profile == "High"
        assert (video.width, video.height) == (320, 240)
    assert probe_errors(output) == ""
    assert len(got.spans) == len(pattern.paths)


def test_random_cuts_match(pattern: Segments, tmp_path: Path) -> None:
    chance = random.Random(5)
    total = pattern.seconds * len(pattern.paths)
    for n in range(6):
        start = round(chance.uniform(-1, total - 0.5), 3)
        end = round(chance.uniform(start + 0.05, total + 1), 3)
        both(pattern.pieces(start, end), tmp_path, f"cut{n}")


def test_a_missing_hour_shows_in_the_cues(pattern: Segments, tmp_path: Path) -> None:
    pieces = pattern.pieces()
    late = Piece(pieces[2].path, pieces[2].wall_origin + timedelta(hours=1))
    _, got, output = both([*pieces[:2], late, *pieces[3:]], tmp_path)
    texts = [bytes(p)[2:].decode() for p in av.open(str(output)).demux(subtitles=0) if p.size > 2]
    assert any("08:00:03" in t for t in texts) and any("09:00:04" in t for t in texts)
    assert got.spans[2].first == late.wall_origin


def test_the_sample_description_is_ffmpegs(pattern: Segments, tmp_path: Path) -> None:
    _, _, output = both(pattern.pieces(), tmp_path)
    ffmpeg_file = (tmp_path / "out-av.mp4").read_bytes()
    ours = output.read_bytes()
    for kind in (b"avcC", b"tx3g"):
        a, b = ffmpeg_file.index(kind), ours.index(kind)
        size = struct.unpack(">I", ours[b - 4 : b])[0]
        assert ours[b : b - 4 + size] == ffmpeg_file[a : a - 4 + size] or kind == b"tx3g"
    tx3g = ours.index(b"tx3g")
    assert ours[tx3g + 12 : tx3g + 12 + len(boxes.TX3G_CONFIG)] == boxes.TX3G_CONFIG


def test_the_tx3g_config_is_the_encoders(tmp_path: Path) -> None:
    with av.open(str(tmp_path / "x.mp4"), "w", format="mp4") as container:
        stream = container.add_stream("mov_text")
        stream.codec_context.subtitle_header = mp4export._ASS_HEADER
        stream.codec_context.open()
        assert stream.codec_context.extradata == boxes.TX3G_CONFIG


def test_the_index_comes_before_the_footage(pattern: Segments, tmp_path: Path) -> None:
    output = tmp_path / "out.mp4"
    fastmp4.remux(pattern.pieces(), output, label)
    data, kinds, at = output.read_bytes(), [], 0
    while at < len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        kinds.append(kind)
        at += size
    assert kinds == [b"ftyp", b"moov", b"mdat"]


def test_the_digests_are_the_files(pattern: Segments, tmp_path: Path) -> None:
    output, found = tmp_path / "out.mp4", list[fastmp4.Digests]()
    fastmp4.remux(pattern.pieces(), output, label, digests=found.append)
    data = output.read_bytes()
    assert found == [fastmp4.Digests(hashlib.sha256(data).hexdigest())]
    assert fastmp4.digest_file(output) == found[0]


def test_progress_and_cancel(pattern: Segments, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(stream_copy, "PROGRESS_EVERY_S", 0)
    told: list[float] = []
    fastmp4.remux(pattern.pieces(), tmp_path / "a.mp4", label, progress=told.append)
    assert told == sorted(told) and told[-1] == 1.0 and len(told) > 3
    calls: list[int] = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > len(pattern.paths) + 1  # during the writing pass

    with pytest.raises(mp4export.RemuxCancelled):
        fastmp4.remux(pattern.pieces(), tmp_path / "b.mp4", label, cancelled=cancelled)
    assert not (tmp_path / "b.mp4").exists()


def damaged(pattern: Segments, tmp_path: Path, change: Callable[[bytes], bytes]) -> list[Piece]:
    folder = tmp_path / "damaged"
    folder.mkdir()
    paths = [Path(shutil.copy(p, folder / p.name)) for p in pattern.paths]
    paths[1].write_bytes(change(paths[1].read_bytes()))
    return [Piece(p, T0 + timedelta(seconds=pattern.seconds * n)) for n, p in enumerate(paths)]


def test_a_truncated_last_packet(pattern: Segments, tmp_path: Path) -> None:
    both(damaged(pattern, tmp_path, lambda data: data[:-100]), tmp_path)


def test_a_recorder_killed_mid_picture(pattern: Segments, tmp_path: Path) -> None:
    def cut(data: bytes) -> bytes:
        return data[: (len(data) * 2 // 3) // 188 * 188 + 188 * 3]

    both(damaged(pattern, tmp_path, cut), tmp_path)


def test_lost_packets_go_to_ffmpeg(pattern: Segments, tmp_path: Path) -> None:
    def lose(data: bytes) -> bytes:
        at = (len(data) // 2) // 188 * 188
        return data[:at] + data[at + 188 * 3 :]

    pieces = damaged(pattern, tmp_path, lose)
    with pytest.raises(fastmp4.Unsupported):
        fastmp4.remux(pieces, tmp_path / "np.mp4", label)
    assert not (tmp_path / "np.mp4").exists()
    expected = mp4export._remux_av(pieces, tmp_path / "av.mp4", label)
    assert mp4export.remux(pieces, tmp_path / "out.mp4", label) == expected


def test_a_missing_file_is_skipped_as_ffmpeg_says(pattern: Segments, tmp_path: Path) -> None:
    pieces = pattern.pieces()
    gone = Piece(tmp_path / "gone.ts", pieces[1].wall_origin)
    expected, got, _ = both([pieces[0], gone, *pieces[2:]], tmp_path)
    assert got.skipped == expected.skipped == [(gone.path, got.skipped[0][1])]
    assert "No such file" in got.skipped[0][1]


def test_another_picture_size_goes_to_ffmpeg(
    pattern: Segments, shared: Segments, tmp_path: Path
) -> None:
    pieces = [*pattern.pieces()[:2], Piece(shared.paths[0], T0 + timedelta(seconds=4))]
    with pytest.raises(fastmp4.Unsupported):
        fastmp4.remux(pieces, tmp_path / "np.mp4", label)
    result = mp4export.remux(pieces, tmp_path / "out.mp4", label)
    assert [p for p, _ in result.skipped] == [shared.paths[0]]
    assert "differs" in result.skipped[0][1]


def test_a_reencode_output_goes_to_ffmpeg(pattern: Segments, tmp_path: Path) -> None:
    pieces = [Piece(pattern.paths[0], T0, from_zero=True)]
    with pytest.raises(fastmp4.Unsupported):
        fastmp4.remux(pieces, tmp_path / "np.mp4", label)


def test_nothing_in_range_is_ffmpegs_error(pattern: Segments, tmp_path: Path) -> None:
    with pytest.raises(mp4export.RemuxError):
        mp4export.remux(pattern.pieces(100, 200), tmp_path / "out.mp4", label)
    assert not (tmp_path / "out.mp4").exists()


def test_the_fast_path_is_used(pattern: Segments, tmp_path: Path, monkeypatch: Any) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the FFmpeg path ran")

    monkeypatch.setattr(mp4export, "_remux_av", refuse)
    found: list[fastmp4.Digests] = []
    mp4export.remux(pattern.pieces(), tmp_path / "out.mp4", label, digests=found.append)
    assert len(found) == 1


def test_worker_processes_write_the_same_file(
    pattern: Segments, tmp_path: Path, monkeypatch: Any
) -> None:
    in_thread, in_workers = tmp_path / "thread.mp4", tmp_path / "workers.mp4"
    assert work.PROCESSES  # small remuxes stay in the calling thread
    fastmp4.remux(pattern.pieces(0.5, 6.5), in_thread, label)
    monkeypatch.setattr(work, "PROCESS_MIN_BYTES", 0)
    monkeypatch.setattr(stream_copy, "KEEP_BYTES", 300_000)  # one segment read again
    found: list[fastmp4.Digests] = []
    fastmp4.remux(pattern.pieces(0.5, 6.5), in_workers, label, digests=found.append)
    assert in_workers.read_bytes() == in_thread.read_bytes()
    assert found == [fastmp4.digest_file(in_thread)]


def test_a_fault_of_the_fast_path_falls_back(
    pattern: Segments, tmp_path: Path, monkeypatch: Any
) -> None:
    def fail(*args: Any) -> None:
        raise IndexError("a bug")

    monkeypatch.setattr(work, "write_piece", fail)
    expected = mp4export._remux_av(pattern.pieces(), tmp_path / "av.mp4", label)
    assert mp4export.remux(pattern.pieces(), tmp_path / "out.mp4", label) == expected
    assert packets(tmp_path / "out.mp4") == packets(tmp_path / "av.mp4")


def test_h265_goes_to_ffmpeg(tmp_path: Path) -> None:
    try:
        found = segment(
            tmp_path / "hevc", 2,
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "4",
            "-c:v", "libx265", "-x265-params", "log-level=error",
        )  # fmt: skip
    except subprocess.CalledProcessError:
        pytest.skip("FFmpeg has no H.265 encoder here")
    with pytest.raises(fastmp4.Unsupported, match="hevc"):
        fastmp4.remux(found.pieces(), tmp_path / "np.mp4", label)
    assert not (tmp_path / "np.mp4").exists()
    assert mp4export.remux(found.pieces(), tmp_path / "out.mp4", label).spans

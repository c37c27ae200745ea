"""The keyframe scan of MPEG-TS files, checked against ffprobe on real footage."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from vigie.recording import tsindex
from vigie.recording.tests.test_playback_fixtures import clip, cut_segments, whole_ts

__all__ = ["clip", "cut_segments", "whole_ts"]  # fixtures used below

PSI_PIDS = {0x0000, 0x0011, 0x1000}


def ffprobe_video_packets(path: Path) -> list[dict]:
    out = subprocess.run(
        [
            "ffprobe", "-v", "error", "-select_streams", "v", "-show_packets",
            "-show_entries", "packet=pts,flags,pos", "-of", "json", str(path),
        ],
        check=True, capture_output=True, timeout=60, text=True,
    ).stdout  # fmt: skip
    return json.loads(out)["packets"]


def ffprobe_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        check=True, capture_output=True, timeout=60, text=True,
    ).stdout  # fmt: skip
    return float(out)


def pid_at(data: bytes, offset: int) -> int:
    return ((data[offset + 1] & 0x1F) << 8) | data[offset + 2]


def check_against_ffprobe(path: Path) -> tsindex.TsIndex:
    index = tsindex.scan_file(path)
    packets = ffprobe_video_packets(path)
    first_pts = min(int(p["pts"]) for p in packets)
    expected = [p for p in packets if "K" in p["flags"]]
    assert len(index.keyframes) == len(expected)
    data = path.read_bytes()
    for ours, theirs in zip(index.keyframes, expected, strict=True):
        assert ours.pts == pytest.approx((int(theirs["pts"]) - first_pts) / 90_000, abs=1e-5)
        pos = int(theirs["pos"])
        # Our range starts at the PAT/PMT written just before the keyframe's packet.
        assert ours.offset <= pos <= ours.offset + 4 * tsindex.PACKET
        assert ours.offset % tsindex.PACKET == 0
        for o in range(ours.offset, pos, tsindex.PACKET):
            assert pid_at(data, o) in PSI_PIDS
        assert pid_at(data, ours.offset) in (0x0000, 0x0011)
    assert index.duration == pytest.approx(ffprobe_duration(path), abs=0.05)
    assert index.size == len(data)
    assert index.stream_type == 0x1B  # H.264
    return index


def test_whole_clip_keyframes_match_ffprobe(whole_ts: Path) -> None:
    index = check_against_ffprobe(whole_ts)
    assert len(index.keyframes) == 8  # the clip has a keyframe every 4.27 s
    assert index.keyframes[0].offset == 0


def test_cut_segments_each_start_on_a_keyframe(cut_segments: list[Path]) -> None:
    assert len(cut_segments) >= 3
    for path in cut_segments:
        index = check_against_ffprobe(path)
        assert index.keyframes[0].pts == 0.0
        assert index.keyframes[0].offset == 0


def test_pts_origin_is_continuous_across_cut_segments(cut_segments: list[Path]) -> None:
    a, b = (tsindex.scan_file(p) for p in cut_segments[:2])
    assert a.pts_origin is not None and b.pts_origin is not None
    gap = (b.pts_origin - a.pts_origin) / tsindex.PTS_HZ - a.duration
    assert abs(gap) < 0.05


def test_torn_last_packet_is_ignored(whole_ts: Path, tmp_path: Path) -> None:
    torn = tmp_path / "torn.ts"
    data = whole_ts.read_bytes()
    torn.write_bytes(data[: len(data) - 100])  # the writer died mid-packet
    index = tsindex.scan_file(torn)
    assert len(index.keyframes) == 8


def test_not_a_transport_stream(tmp_path: Path, clip: Path) -> None:
    with pytest.raises(tsindex.TsFormatError):
        tsindex.scan_file(clip)  # an MP4: no sync byte where a TS packet starts


def test_pts_wraps_around() -> None:
    near_end = tsindex.PTS_WRAP - 90_000
    assert tsindex._unwrap(100, near_end) == tsindex.PTS_WRAP + 100
    assert tsindex._unwrap(near_end, 100) == near_end - tsindex.PTS_WRAP


def test_index_is_cached_beside_the_file_until_it_changes(
    whole_ts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "seg.ts"
    path.write_bytes(whole_ts.read_bytes()[: 188 * 4000])
    first = tsindex.load_index(path)
    sidecar = tsindex.sidecar_path(path)
    assert sidecar.is_file()
    scans: list[Path] = []
    real_scan = tsindex.scan_file

    def counting_scan(p: Path) -> tsindex.TsIndex:
        scans.append(p)
        return real_scan(p)

    monkeypatch.setattr(tsindex, "scan_file", counting_scan)
    assert tsindex.load_index(path) == first
    assert scans == []  # read from the sidecar
    with path.open("ab") as stream:  # a growing file: the cached index no longer holds
        stream.write(whole_ts.read_bytes()[188 * 4000 : 188 * 6000])
    grown = tsindex.load_index(path)
    assert scans == [path]
    assert grown.size == 188 * 6000
    tsindex.remove_derived(path)
    assert not sidecar.exists()


def test_corrupt_sidecar_is_rebuilt(whole_ts: Path, tmp_path: Path) -> None:
    path = tmp_path / "seg.ts"
    path.write_bytes(whole_ts.read_bytes())
    tsindex.sidecar_path(path).write_text("{not json", encoding="utf-8")
    assert len(tsindex.load_index(path).keyframes) == 8

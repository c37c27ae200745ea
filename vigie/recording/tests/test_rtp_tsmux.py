"""The MPEG-TS writer and the SPS reader, checked by FFmpeg, ffprobe and tsindex."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from vigie.recording import tsindex
from vigie.recording.rtp.depay import AUD
from vigie.recording.rtp.segments import write_all
from vigie.recording.rtp.tsmux import PACKET, TsMuxer, crc32_mpeg, pat_section
from vigie.recording.sps import picture_size

ENCODERS = {
    "h264": ["libx264", "-x264-params", "aud=1"],
    "hevc": ["libx265", "-x265-params", "aud=1:log-level=error"],
}


def encode(tmp: Path, codec: str, size: str, frames: int = 50) -> bytes:
    out = tmp / f"clip-{codec}-{size}.es"
    cmd = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25"]
    cmd += ["-frames:v", str(frames), "-c:v", *ENCODERS[codec], "-g", "25", "-bf", "0"]
    cmd += ["-f", "h264" if codec == "h264" else "hevc", str(out)]
    subprocess.run(cmd, check=True, timeout=120)
    return out.read_bytes()


def access_units(stream: bytes, codec: str) -> list[bytes]:
    """Cut an Annex B stream at its access unit delimiters (4-byte start codes)."""
    delimiter = b"\x00\x00\x00\x01" + (b"\x09" if codec == "h264" else b"\x46\x01")
    starts, at = [], stream.find(delimiter)
    while at != -1:
        starts.append(at)
        at = stream.find(delimiter, at + 4)
    assert starts, "no access unit delimiter"
    return [stream[a:b] for a, b in zip(starts, [*starts[1:], len(stream)], strict=True)]


def nal_units(unit: bytes) -> list[bytes]:
    return [n.lstrip(b"\x00") for n in unit.split(b"\x00\x00\x01")[1:]]


def probe(path: Path) -> dict[str, Any]:
    cmd = ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0"]
    cmd += ["-show_entries", "stream=codec_name,width,height,nb_read_frames:packet=pts"]
    cmd += ["-of", "json", str(path)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    assert out.stderr == ""
    return dict(json.loads(out.stdout))


def mux(units: list[bytes], codec: str, path: Path, step: int = 3600) -> None:
    chunks: list[Any] = []
    muxer = TsMuxer(codec)
    kinds = {"h264": (5,), "hevc": range(16, 24)}[codec]
    for i, unit in enumerate(units):
        heads = [n[0] & 0x1F if codec == "h264" else (n[0] >> 1) & 0x3F for n in nal_units(unit)]
        size = muxer.frame(126_000 + i * step, any(k in kinds for k in heads), unit, chunks)
        assert size % PACKET == 0
    with path.open("wb") as out:
        write_all(out.fileno(), chunks)


@pytest.mark.parametrize(("codec", "stream_type"), [("h264", 0x1B), ("hevc", 0x24)])
def test_ffmpeg_and_tsindex_read_what_the_muxer_writes(
    tmp_path: Path, codec: str, stream_type: int
) -> None:
    units = access_units(encode(tmp_path, codec, "320x240"), codec)
    assert len(units) == 50
    path = tmp_path / "out.ts"
    mux(units, codec, path)
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert decoded.stderr == ""
    info = probe(path)
    stream = info["streams"][0]
    assert (stream["codec_name"], stream["width"], stream["height"]) == (codec, 320, 240)
    assert int(stream["nb_read_frames"]) == 50
    assert [p["pts"] for p in info["packets"]] == [126_000 + i * 3600 for i in range(50)]
    index = tsindex.scan_file(path)
    assert index.stream_type == stream_type and index.video_pid == 0x100
    assert [k.pts for k in index.keyframes] == [0.0, 1.0]
    assert index.keyframes[0].offset == 0 and index.duration == pytest.approx(2.0)
    check_packets(path.read_bytes())


def check_packets(data: bytes) -> None:
    """Sync bytes, continuity counters per PID, adaptation field lengths."""
    assert len(data) % PACKET == 0
    counters: dict[int, int] = {}
    for at in range(0, len(data), PACKET):
        packet = data[at : at + PACKET]
        assert packet[0] == 0x47
        pid = ((packet[1] & 0x1F) << 8) | packet[2]
        control, cc = packet[3] >> 4 & 3, packet[3] & 15
        if control & 2:
            assert packet[4] <= 183
        if pid in counters:
            assert cc == (counters[pid] + 1) & 15, f"continuity at {at}"
        counters[pid] = cc
    assert set(counters) == {0, 0x1000, 0x100}


@pytest.mark.parametrize("length", [1, 5, 100, 162, 163, 170, 176, 184, 185, 354, 360, 368, 550])
def test_every_frame_size_fills_whole_packets(length: int) -> None:
    chunks: list[Any] = []
    muxer = TsMuxer("h264")
    data = AUD["h264"] + bytes(range(256)) * 3
    data = data[:length]
    size = muxer.frame(90_000, True, data, chunks)
    out = b"".join(bytes(memoryview(c)) for c in chunks)
    assert len(out) == size and size % PACKET == 0
    check_packets(out)
    # The PES payload is the frame, whole and in order.
    video = b""
    for at in range(2 * PACKET, len(out), PACKET):
        packet = out[at : at + PACKET]
        start = 4 + (packet[4] + 1 if packet[3] & 0x20 else 0)
        video += packet[start:]
    assert video[:3] == b"\x00\x00\x01" and video[14:] == data


def test_psi_crc_is_mpeg2_crc32() -> None:
    section = pat_section()
    assert crc32_mpeg(section) == 0  # a section with its CRC checks to zero
    assert crc32_mpeg(b"123456789") == 0x0376E6E7  # the CRC-32/MPEG-2 check value


@pytest.mark.parametrize(
    ("codec", "size", "expected"),
    [
        ("h264", "320x240", (320, 240)),
        ("h264", "1920x1080", (1920, 1080)),  # cropped from 1088
        ("h264", "642x362", (642, 362)),
        ("hevc", "1280x720", (1280, 720)),
        ("hevc", "642x362", (642, 362)),  # conformance window
    ],
)
def test_sps_gives_the_picture_size(
    tmp_path: Path, codec: str, size: str, expected: tuple[int, int]
) -> None:
    units = access_units(encode(tmp_path, codec, size, frames=1), codec)
    sps_type = 7 if codec == "h264" else 33
    nals = nal_units(units[0])
    kind = (lambda n: n[0] & 0x1F) if codec == "h264" else (lambda n: (n[0] >> 1) & 0x3F)
    sps = next(n for n in nals if kind(n) == sps_type)
    assert picture_size(codec, sps) == expected

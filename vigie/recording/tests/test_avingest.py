"""The PyAV ingest thread on its own: what a process gave for free (isolation, a kill
that stops every write, clear last words), rebuilt in a thread."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from vigie.recording.avingest import AvIngest, hide_credentials
from vigie.recording.models import GapCause
from vigie.recording.streamparams import find_sps
from vigie.recording.supervision import classify_end
from vigie.recording.tests.conftest import StartCameras
from vigie.recording.tests.ingest_support import OPTIONS, ended, sizes, spec
from vigie.recording.tests.test_recorder import audio_only, closed_port, wait_for

__all__ = ["audio_only"]  # fixture


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("rtsp://admin:s3cr%40t@10.0.0.1/h264", "rtsp://***@10.0.0.1/h264"),
        ("'rtsps://u:p@cam.local:322/x'", "'rtsps://***@cam.local:322/x'"),
        ("rtsp://10.0.0.1/h264", "rtsp://10.0.0.1/h264"),
    ],
)
def test_credentials_never_reach_a_message(text: str, shown: str) -> None:
    assert hide_credentials(text) == shown


def test_kill_stops_every_write_at_once(rtsp_cameras: StartCameras, tmp_path: Path) -> None:
    sim = rtsp_cameras(1)
    ingest = AvIngest(spec(sim.url(1), tmp_path), OPTIONS)
    wait_for("footage", lambda: sum(sizes(tmp_path).values()) > 200_000, 20)
    assert ingest.poll() is None and ingest.media is not None
    assert ingest.kill() == -9
    frozen = sizes(tmp_path)
    time.sleep(1.0)  # 25 frames later
    assert sizes(tmp_path) == frozen
    ingest.thread.join(10)  # it ends on its own, at its next packet
    assert not ingest.thread.is_alive() and ingest.poll() == -9


def test_stop_closes_the_segment_and_the_live_window(
    rtsp_cameras: StartCameras, tmp_path: Path
) -> None:
    sim = rtsp_cameras(1)
    ingest = AvIngest(spec(sim.url(1), tmp_path), OPTIONS)
    playlist = tmp_path / "live" / "7" / "index.m3u8"
    wait_for("two segments and a live window", lambda: len(sizes(tmp_path)) >= 2, 20)
    wait_for("live parts", playlist.exists, 10)
    assert ingest.stop() == 0
    assert "seg-" in playlist.read_text()
    assert ingest.media is not None and ingest.media.codec == "h264"


def test_unreachable_and_not_video_are_explained(tmp_path: Path, audio_only: Path) -> None:
    refused = AvIngest(spec(f"rtsp://127.0.0.1:{closed_port()}/cam", tmp_path), OPTIONS)
    audio = AvIngest(spec(str(audio_only), tmp_path), OPTIONS)
    for ingest, cause, words in (
        (refused, GapCause.CONNECT_FAILED, "Connection refused"),
        (audio, GapCause.BAD_STREAM, "no video stream"),
    ):
        code = ended(ingest)
        assert code == 1
        verdict = classify_end(code, ingest.error_lines(), got_data=False)
        assert verdict.cause == cause and words in verdict.detail, verdict
    assert not sizes(tmp_path)  # nothing written for either


@pytest.mark.parametrize(
    ("codec", "head", "sps"),
    [
        # AUD, SPS, PPS, IDR slice (H.264, 4-byte then 3-byte start codes).
        (
            "h264",
            b"\0\0\0\x01\x09\xf0\0\0\0\x01\x67\x64\x00\x1f\0\0\x01\x68\xee\0\0\x01\x65\x88",
            b"\x67\x64\x00\x1f",
        ),
        # A slice first: no parameter set in this access unit.
        ("h264", b"\0\0\x01\x65\x88\x84\0\0\x01\x67\x64", None),
        # VPS (32), SPS (33), PPS (34), IDR_W_RADL (19) in H.265.
        (
            "hevc",
            b"\0\0\0\x01\x40\x01\x0c\0\0\0\x01\x42\x01\x01\0\0\x01\x44\x01\0\0\x01\x26\x01",
            b"\x42\x01\x01",
        ),
        ("mpeg4", b"\0\0\x01\xb0\x01", None),
    ],
)
def test_find_sps(codec: str, head: bytes, sps: bytes | None) -> None:
    assert find_sps(codec, head) == sps

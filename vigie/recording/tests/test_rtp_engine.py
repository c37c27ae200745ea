"""The RTP engine against RTSP servers it did not write (the GStreamer RTSP server of the
simulator): what it records, how each kind of end reads, and that a kill stops every
write at once. Other sources go to PyAV."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from vigie.recording.avingest import AvIngest
from vigie.recording.models import GapCause
from vigie.recording.rtp.engine import LOOP, RtpEngine, RtpIngest
from vigie.recording.supervision import classify_end
from vigie.recording.tests.conftest import StartCameras
from vigie.recording.tests.ingest_support import OPTIONS, decode_errors, ended, sizes, spec
from vigie.recording.tests.test_recorder import audio_only, closed_port, wait_for

__all__ = ["audio_only"]  # fixture

USER, PASSWORD = "viewer", "s3cr:t@pass"


def ffprobe(path: Path) -> tuple[str, str]:
    cmd = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames"]
    cmd += ["-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0"]
    out = subprocess.run([*cmd, str(path)], capture_output=True, text=True, timeout=30)
    return out.stdout.strip(), out.stderr.strip()


@pytest.mark.parametrize("codec", ["h264", "h265"])
def test_records_readable_segments_and_a_live_window(
    rtsp_cameras: StartCameras, tmp_path: Path, codec: str
) -> None:
    sim = rtsp_cameras(1, codec=codec)
    ingest = RtpEngine(OPTIONS).start(spec(sim.url(1), tmp_path))
    assert isinstance(ingest, RtpIngest)
    playlist = tmp_path / "live" / "7" / "index.m3u8"
    wait_for("three segments", lambda: len(sizes(tmp_path)) >= 3, 30)
    wait_for("live parts", playlist.exists, 10)
    assert ingest.stop() == 0 and ingest.error_lines() == []
    name = "hevc" if codec == "h265" else "h264"
    assert ingest.media is not None and ingest.media.codec == name
    assert (ingest.media.width, ingest.media.height) == (1280, 720)
    files = sorted(tmp_path.rglob("*.ts"))
    for path in files:
        facts, errors = ffprobe(path)
        assert errors == "" and facts.startswith(f"{name},1280,720,"), (path, facts)
        assert decode_errors(path) == ""
        assert ingest.media_of(path.name) == ingest.media
    assert "seg-" in playlist.read_text()


def test_digest_credentials_from_the_url(rtsp_cameras: StartCameras, tmp_path: Path) -> None:
    sim = rtsp_cameras(1, auth=(USER, PASSWORD))
    good = RtpIngest(spec(sim.url(1, USER, PASSWORD), tmp_path / "good"), OPTIONS)
    bad = RtpIngest(spec(sim.url(1, USER, "Bad-Pw-42"), tmp_path / "bad", camera=8), OPTIONS)
    none = RtpIngest(spec(sim.url(1), tmp_path / "none", camera=9), OPTIONS)
    for ingest in (bad, none):
        assert ended(ingest) == 1
        verdict = classify_end(1, ingest.error_lines(), got_data=False)
        assert verdict.cause == GapCause.CONNECT_FAILED
        assert "401" in verdict.detail and "password" in verdict.detail, verdict
        assert "Bad-Pw-42" not in " ".join(ingest.error_lines())
    wait_for("footage", lambda: sum(sizes(tmp_path / "good").values()) > 200_000, 20)
    assert good.poll() is None
    good.stop()
    assert not sizes(tmp_path / "bad") and not sizes(tmp_path / "none")


def test_kill_stops_every_write_at_once(rtsp_cameras: StartCameras, tmp_path: Path) -> None:
    sim = rtsp_cameras(2)
    ingest = RtpIngest(spec(sim.url(1), tmp_path / "a"), OPTIONS)
    other = RtpIngest(spec(sim.url(2), tmp_path / "b", camera=8), OPTIONS)
    wait_for("footage", lambda: sum(sizes(tmp_path / "a").values()) > 200_000, 20)
    assert ingest.poll() is None and ingest.media is not None
    assert ingest.kill() == -9
    frozen = sizes(tmp_path / "a")
    grown = sum(sizes(tmp_path / "b").values())
    time.sleep(1.0)  # 25 frames later
    assert sizes(tmp_path / "a") == frozen
    assert sum(sizes(tmp_path / "b").values()) > grown  # the loop serves the others on
    assert ingest.poll() == -9 and ingest.wait() == -9
    wait_for("the loop dropped it", lambda: ingest not in LOOP.ingests, 5)
    other.stop()


def test_refused_silent_and_not_video_are_explained(
    rtsp_cameras: StartCameras, tmp_path: Path
) -> None:
    sim = rtsp_cameras(1, variants={1: ["aac"]})
    refused = RtpIngest(spec(f"rtsp://127.0.0.1:{closed_port()}/cam", tmp_path), OPTIONS)
    audio = RtpIngest(spec(sim.url(1), tmp_path, camera=8), OPTIONS)
    with _silent_server() as port:
        silent = RtpIngest(spec(f"rtsp://127.0.0.1:{port}/cam", tmp_path, camera=9), OPTIONS)
        cases = (
            (refused, GapCause.CONNECT_FAILED, "Connection refused"),
            (audio, GapCause.BAD_STREAM, "no video stream"),
            (silent, GapCause.CONNECT_FAILED, "camera does not answer"),
        )
        for ingest, cause, words in cases:
            code = ended(ingest)
            assert code == 1
            verdict = classify_end(code, ingest.error_lines(), got_data=False)
            assert verdict.cause == cause and words in verdict.detail, verdict
    assert not sizes(tmp_path)


class _silent_server:
    """A TCP server that accepts and never answers (a hung camera)."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def test_other_sources_go_to_pyav(tmp_path: Path, audio_only: Path) -> None:
    engine = RtpEngine(OPTIONS)
    for url in (str(audio_only), "rtsps://127.0.0.1:1/cam"):
        ingest = engine.start(spec(url, tmp_path))
        assert isinstance(ingest, AvIngest)
        ingest.kill()


def test_a_picture_size_change_starts_a_new_segment(
    rtsp_cameras: StartCameras, tmp_path: Path
) -> None:
    sim = rtsp_cameras(1, variants={1: ["h264@640x360+320x180"]})
    ingest = RtpIngest(spec(sim.url(1), tmp_path, live=False), OPTIONS)
    seen: dict[str, tuple[int | None, int | None]] = {}

    def both_sizes() -> bool:
        for path in tmp_path.rglob("*.ts"):
            media = ingest.media_of(path.name)
            if media is not None:
                seen[path.name] = (media.width, media.height)
        return {(640, 360), (320, 180)} <= set(seen.values())

    wait_for("both sizes", both_sizes, 40)
    ingest.stop()
    for path in sorted(tmp_path.rglob("*.ts")):
        facts, errors = ffprobe(path)
        assert errors == ""
        if path.name in seen:
            width, height = seen[path.name]
            assert facts.startswith(f"h264,{width},{height},"), (path.name, facts)


def test_a_host_name_is_resolved_off_the_loop(tmp_path: Path) -> None:
    ingest = RtpIngest(spec(f"rtsp://localhost:{closed_port()}/cam", tmp_path), OPTIONS)
    code = ended(ingest)
    verdict = classify_end(code, ingest.error_lines(), got_data=False)
    assert code == 1 and "Connection refused" in verdict.detail, verdict

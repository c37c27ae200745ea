"""What both ingest engines (PyAV's thread and the RTP loop) must do alike: a source
that stops is a normal end, one that freezes ends on the read timeout, what was
written decodes cleanly, and each file's pictures are counted for its index row."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from vigie.recording.avingest import AvIngest
from vigie.recording.models import GapCause
from vigie.recording.rtp.engine import RtpIngest
from vigie.recording.supervision import classify_end
from vigie.recording.tests.conftest import StartCameras
from vigie.recording.tests.ingest_support import OPTIONS, decode_errors, ended, sizes, spec
from vigie.recording.tests.test_recorder import video_packets, wait_for

# Each engine and how long a frozen source may take to end: the RTP loop's own read
# timeout (2.4 s), FFmpeg's socket timeout for PyAV.
ENGINES = [pytest.param(AvIngest, 8, id="pyav"), pytest.param(RtpIngest, 4, id="rtp")]
Engine = type[AvIngest] | type[RtpIngest]


def _recording(
    rtsp_cameras: StartCameras, tmp_path: Path, engine: Engine
) -> tuple[Any, AvIngest | RtpIngest]:
    sim = rtsp_cameras(1)
    ingest = engine(spec(sim.url(1), tmp_path, live=False), OPTIONS)
    wait_for("footage", lambda: sizes(tmp_path), 20)
    return sim, ingest


@pytest.mark.parametrize(("engine", "_limit"), ENGINES)
def test_a_source_that_ends_is_a_normal_end(
    rtsp_cameras: StartCameras, tmp_path: Path, engine: Engine, _limit: float
) -> None:
    sim, ingest = _recording(rtsp_cameras, tmp_path, engine)
    sim.stop_camera(1)
    code = ended(ingest)
    verdict = classify_end(code, ingest.error_lines(), got_data=True)
    assert verdict.cause in (GapCause.SOURCE_ENDED, GapCause.STALLED), verdict
    for path in tmp_path.rglob("*.ts"):
        assert decode_errors(path) == ""


@pytest.mark.parametrize(("engine", "limit"), ENGINES)
def test_a_frozen_source_ends_on_the_read_timeout(
    rtsp_cameras: StartCameras, tmp_path: Path, engine: Engine, limit: float
) -> None:
    sim, ingest = _recording(rtsp_cameras, tmp_path, engine)
    frozen_at = time.monotonic()
    sim.freeze_camera(1)
    code = ended(ingest)
    assert time.monotonic() - frozen_at < limit
    verdict = classify_end(code, ingest.error_lines(), got_data=True)
    assert verdict.cause == GapCause.STALLED, verdict
    assert "stopped sending images" in verdict.detail


@pytest.mark.parametrize(("engine", "_limit"), ENGINES)
def test_each_file_s_pictures_are_counted(
    rtsp_cameras: StartCameras, tmp_path: Path, engine: Engine, _limit: float
) -> None:
    _, ingest = _recording(rtsp_cameras, tmp_path, engine)
    wait_for("two files", lambda: len(sizes(tmp_path)) >= 2, 20)
    ingest.stop()
    files = sorted(tmp_path.rglob("*.ts"))
    assert files and all(ingest.frames_of(f.name) == video_packets(f) for f in files)
    assert ingest.frames_of("not-ours.ts") is None

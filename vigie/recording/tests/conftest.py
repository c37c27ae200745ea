"""Fixtures shared by the recording tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from vigie.recording.simulator import SimulatedCameras

StartCameras = Callable[..., SimulatedCameras]


@pytest.fixture
def rtsp_cameras() -> Iterator[StartCameras]:
    """Start simulated RTSP cameras; every server started is stopped at teardown.

    The fixture is a factory::

        def test_x(rtsp_cameras):
            cams = rtsp_cameras(3)            # count; started, on a free 127.0.0.1 port
            cams.urls                         # ["rtsp://127.0.0.1:PORT/cam1", … /cam3]
            cams.url(2)                       # one camera, numbered from 1
            cams.stop_camera(2)               # its clients are disconnected (FFmpeg exits
                                              # with code 0), new ones get 404…
            cams.start_camera(2)              # …until it serves again
            cams.freeze_camera(3)             # connection kept open, no data at all
            cams.thaw_camera(3)               # data again (from a keyframe, timestamps
                                              # jump by the frozen time, as a live source)
            cams.pid                          # the server process (for CPU, kill -9…)

    Keyword arguments: ``footage=DIR`` loops the video files of DIR (cameras take them
    round-robin, at their native size and frame rate) instead of the 1280×720 25 fps
    test pattern; ``codec="h265"`` serves H.265; ``port=N`` a fixed port;
    ``auth=(user, password)`` makes every camera ask for them (Digest; else 401, and
    ``cams.url(i, user, password)`` gives the URL with them); ``variants={i: ["h264",
    "h265"]}`` lets ``cams.switch_camera(i)`` drop camera i's clients and serve the next
    stream (also ``"h265@640x360"``, ``"h264@640x360+320x180"`` a size change inside
    the stream, ``"aac"`` audio only; see docs/simulator.md). Streams are
    H.264 main (or H.265), no B-frames, a keyframe every 2 s, ~2 Mbit/s at 720p,
    looped forever with timestamps increasing across loops; cameras sharing a clip
    start at staggered offsets. Clips are encoded once into VIGIE_DATA_DIR/simulator/
    (the first test pattern takes a few seconds; H.265 ~30 s) and reused afterwards.
    Commands return once the server has applied them. Needs Debian's /usr/bin/python3
    with python3-gi and the GStreamer RTSP server (see docs/simulator.md).
    """
    started: list[SimulatedCameras] = []

    def start(count: int = 1, **options: Any) -> SimulatedCameras:
        cameras = SimulatedCameras(count, **options)
        started.append(cameras)
        cameras.start()
        return cameras

    try:
        yield start
    finally:
        for cameras in started:
            cameras.stop()

"""Bad input (issue 3): an unreachable camera, wrong credentials, a stream with no video,
a camera whose codec or picture size changes. Each gets a clear state and message, the
recorder does not crash, and a healthy camera recording beside it is not disturbed.

The recorder runs in a thread of the test process against the GStreamer simulator;
the assertions read only what an operator or an auditor can see: the camera's
recording state and its message, gaps and their causes, segment rows and their files.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from vigie.core.testing import make_member
from vigie.recording.models import GapCause
from vigie.recording.tests.reliability_support import (
    CODEC_NAMES,
    RecorderThread,
    add_camera,
    describe,
    gaps,
    keyframe_sizes,
    make_node,
    readable,
    recorder_thread,
    segment_file,
    segments,
    state,
    state_is,
    video_codecs,
    wait_for,
)

__all__ = ["recorder_thread"]  # fixture
pytestmark = [pytest.mark.storage, pytest.mark.django_db(transaction=True)]

USER, PASSWORD = "vigie", "Tr0ub4dor&3"
StartRecorder = Callable[[Any], RecorderThread]


def closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_recorded_well(camera: Any, at_least: int = 2) -> None:
    """The healthy camera: recording, no gap, readable H.264 segments."""
    row = state(camera)
    assert row is not None and row.state == "recording", describe(camera)
    assert not gaps(camera), describe(camera)
    closed = segments(camera, closed=True)
    assert len(closed) >= at_least, describe(camera)
    assert all(s.codec in CODEC_NAMES["h264"] for s in closed)
    assert readable(segment_file(closed[-1]))


def test_unreachable_wrong_credentials_and_no_video_are_explained_and_isolated(
    rtsp_cameras: Any, tmp_path: Any, recorder_thread: StartRecorder
) -> None:
    sim = rtsp_cameras(2, auth=(USER, PASSWORD), variants={2: ["aac"]})
    member = make_member()
    good = add_camera(member, sim.url(1, USER, PASSWORD), name="GOOD")
    wrong = add_camera(member, sim.url(1, USER, "wrong-password"), name="WRONG-PASSWORD")
    unreachable = add_camera(member, f"rtsp://127.0.0.1:{closed_port()}/cam", name="OFFLINE")
    audio = add_camera(member, sim.url(2, USER, PASSWORD), name="AUDIO-ONLY")
    bad = (wrong, unreachable, audio)
    node, _ = make_node("rec-input", tmp_path / "pool")
    running = recorder_thread(node)

    everyone = partial(describe, good, *bad)
    wait_for("2 closed segments of the good camera", lambda: len(segments(good, True)) >= 2,
             40, everyone)  # fmt: skip
    # Each bad camera has been tried, failed and retried at least once by now.
    wait_for("retries", lambda: all((state(c) and state(c).restarts >= 2) for c in bad), 30,
             everyone)  # fmt: skip

    for camera, words, cause in (
        (wrong, ("401", "password"), GapCause.CONNECT_FAILED),
        (unreachable, ("unreachable", "refused"), GapCause.CONNECT_FAILED),
        (audio, ("no video",), GapCause.BAD_STREAM),
    ):
        row = state(camera)
        assert row.state not in ("recording", "stalled"), describe(camera)
        for word in words:
            assert word in row.detail.lower(), describe(camera)
        assert [g.cause for g in gaps(camera)] == [cause], describe(camera)
        assert not segments(camera), describe(camera)  # nothing half-written is kept
    # The operator sees why, never the camera's password.
    shown = [state(c).detail for c in bad] + [g.detail for c in bad for g in gaps(c)]
    assert not any(PASSWORD in text or "wrong-password" in text for text in shown), shown
    assert running.alive
    assert_recorded_well(good)


def test_a_camera_switched_from_h264_to_h265_records_on_in_separate_segments(
    rtsp_cameras: Any, tmp_path: Any, recorder_thread: StartRecorder
) -> None:
    """The camera is reconfigured: its session drops and it comes back at the same URL
    in H.265. New segments carry the new codec, none mixes both, recording goes on."""
    sim = rtsp_cameras(2, variants={1: ["h264@640x360", "h265@640x360"]})
    member = make_member()
    switching = add_camera(member, sim.url(1), name="SWITCHING")
    good = add_camera(member, sim.url(2), name="GOOD")
    node, _ = make_node("rec-codec", tmp_path / "pool")
    running = recorder_thread(node)
    both = partial(describe, switching, good)
    wait_for("a closed H.264 segment", lambda: segments(switching, True), 40, both)

    switched_at = datetime.now(UTC)
    sim.switch_camera(1)

    def h265_segments() -> list[Any]:
        return [s for s in segments(switching, True) if s.codec in CODEC_NAMES["hevc"]]

    wait_for("a closed H.265 segment", h265_segments, 40, both)
    wait_for("recording again", lambda: state_is(switching, "recording"), 10, both)
    assert running.alive
    assert_recorded_well(good, at_least=1)  # a few seconds only have passed
    running.stop()

    rows = segments(switching)
    assert rows and all(s.closed for s in rows)
    for seg in rows:
        in_file = video_codecs(segment_file(seg))
        assert len(in_file) == 1, f"{seg.path} mixes {in_file}"  # never both in one file
        [codec] = in_file
        assert seg.codec in CODEC_NAMES[codec], f"{seg.path}: row says {seg.codec}, file {codec}"
        # Before the switch H.264, after it H.265 (a second's slack: names have whole
        # seconds, and the camera comes back no sooner than a second later).
        if abs(seg.start - switched_at) > timedelta(seconds=1):
            expected = "h264" if seg.start < switched_at else "hevc"
            assert codec == expected, f"{seg.path} ({seg.start}) is {codec}"
    assert {video_codecs(segment_file(s)).pop() for s in rows} == {"h264", "hevc"}
    # One short interruption, closed when the H.265 footage came.
    interruptions = [g for g in gaps(switching) if g.cause != GapCause.RECORDER_DOWN]
    assert len(interruptions) == 1, describe(switching)
    assert interruptions[0].end - interruptions[0].start < timedelta(seconds=8)


def test_a_picture_size_change_inside_the_stream_keeps_recording(
    rtsp_cameras: Any, tmp_path: Any, recorder_thread: StartRecorder
) -> None:
    """640×360 then 320×180 within one RTSP session (a camera whose resolution is
    changed live): recording goes on, every segment stays readable, and each segment
    row gives a size that its file really has."""
    sim = rtsp_cameras(2, variants={1: ["h264@640x360+320x180"]})
    member = make_member()
    resizing = add_camera(member, sim.url(1), name="RESIZING")
    good = add_camera(member, sim.url(2), name="GOOD")
    node, _ = make_node("rec-size", tmp_path / "pool")
    running = recorder_thread(node)
    both = partial(describe, resizing, good)

    def sizes_seen() -> set[tuple[int, int]]:
        return {size for s in segments(resizing, True) for size in keyframe_sizes(segment_file(s))}

    # 6 s per size: both are on disk within ~15 s, wherever in its loop the camera was.
    wait_for("both sizes recorded", lambda: len(sizes_seen()) == 2, 40, both)
    assert state_is(resizing, "recording"), both()
    assert running.alive
    assert_recorded_well(good)
    running.stop()

    rows = segments(resizing)
    assert not [g for g in gaps(resizing) if g.cause != GapCause.RECORDER_DOWN], both()
    for seg in rows:
        file = segment_file(seg)
        assert readable(file), seg.path
        # The ingest starts a new segment on the new SPS: one size per file, the row's.
        assert set(keyframe_sizes(file)) == {(seg.width, seg.height)}, seg.path

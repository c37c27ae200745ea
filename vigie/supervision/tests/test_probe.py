"""The prober against a local RTSP responder: every way a camera answers or does not."""

from __future__ import annotations

import socket
import time

import pytest

from vigie.recording import sps
from vigie.supervision import probe
from vigie.supervision.probe import Target, Timeouts, run_probes
from vigie.supervision.tests.rtsp_responder import (
    SPS_240P_5,
    SPS_720P_25,
    SPS_H265_480P,
    Mount,
    Responder,
    h264_sdp,
    h265_sdp,
)

FAST = Timeouts(connect_s=1.0, answer_s=0.5)


def one(url: str, timeouts: Timeouts = FAST) -> probe.ProbeResult:
    return run_probes([Target(7, url)], timeouts=timeouts)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ok_reads_codec_size_and_rate() -> None:
    with Responder() as responder:
        result = one(responder.url("/cam1"))
    assert result.ok and result.reachable and result.rtsp_status == 200
    assert (result.codec, result.width, result.height, result.fps) == ("H264", 1280, 720, 25.0)
    assert result.latency_ms is not None and 0 < result.latency_ms < 500
    assert result.camera_id == 7 and result.error == ""


def test_h265_and_sdp_framerate() -> None:
    mounts = {"/hevc": Mount(sdp=h265_sdp()), "/small": Mount(sdp=h264_sdp(SPS_240P_5, 6))}
    with Responder(mounts) as responder:
        hevc, small = run_probes(
            [Target(1, responder.url("/hevc")), Target(2, responder.url("/small"))]
        )
    assert (hevc.codec, hevc.width, hevc.height, hevc.fps) == ("H265", 640, 480, 25.0)
    # The SDP's a=framerate wins over the SPS timing (5 fps there).
    assert (small.width, small.height, small.fps) == (320, 240, 6.0)


def test_401_then_digest_ok() -> None:
    with Responder(default=Mount(auth=("admin", "s3cr:t@"))) as responder:
        result = one(responder.url("/cam1", "admin", "s3cr:t@"))
        assert result.ok, result.error
        assert responder.requests == 2  # the challenge, then the answer


def test_wrong_password_and_no_credentials() -> None:
    with Responder(default=Mount(auth=("admin", "right"))) as responder:
        wrong = one(responder.url("/cam1", "admin", "Zq9-not-it"))
        anonymous = one(responder.url("/cam1"))
    for result in (wrong, anonymous):
        assert result.reachable and result.rtsp_status == 401 and not result.ok
        assert "401" in result.error
    assert "Zq9" not in wrong.error and "admin" not in wrong.error


def test_missing_stream_is_404() -> None:
    with Responder({"/gone": Mount(mode="missing")}) as responder:
        result = one(responder.url("/gone"))
    assert result.rtsp_status == 404 and "not found" in result.error


def test_connection_refused() -> None:
    result = one(f"rtsp://127.0.0.1:{free_port()}/cam1")
    assert not result.reachable and result.rtsp_status is None
    assert "unreachable" in result.error


def test_timeout_on_a_silent_socket() -> None:
    with Responder({"/mute": Mount(mode="silent")}) as responder:
        started = time.perf_counter()
        result = one(responder.url("/mute"))
        elapsed = time.perf_counter() - started
    assert result.reachable and result.rtsp_status is None
    assert "no RTSP answer within 0.5 s" in result.error
    assert elapsed < 2


def test_garbage_answer() -> None:
    with Responder({"/http": Mount(mode="garbage")}) as responder:
        result = one(responder.url("/http"))
    assert result.reachable and result.rtsp_status is None
    assert result.error == "not an RTSP answer"


def test_bad_url_is_not_probed() -> None:
    result = one("http://127.0.0.1/x")
    assert not result.reachable and "rtsp" in result.error


def test_many_at_once_keep_their_order() -> None:
    with Responder(ports=3) as responder:
        targets = [Target(i, responder.url(f"/cam{i}", port_index=i % 3)) for i in range(300)]
        results = run_probes(targets, concurrency=50)
    assert [r.camera_id for r in results] == list(range(300))
    assert all(r.ok for r in results)


@pytest.mark.parametrize(
    ("codec", "value", "expected"),
    [
        ("H264", SPS_720P_25, (1280, 720, 25.0)),
        ("H264", SPS_240P_5, (320, 240, 5.0)),
        ("H265", SPS_H265_480P, (640, 480, None)),
        ("H264", "!!!", None),
        ("H264", SPS_H265_480P, None),
        ("H264", "Z2QA", None),
    ],
)
def test_sps_table(codec: str, value: str, expected: tuple[int, int, float | None] | None) -> None:
    found = sps.from_sdp_parameter(codec, value)
    assert (None if found is None else (found.width, found.height, found.fps)) == expected


def test_sdp_without_video() -> None:
    audio = "v=0\r\nm=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000\r\n"
    assert probe.parse_sdp(audio) is None

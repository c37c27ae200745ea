"""The recorder's decisions, as tables (no database, no process)."""

from __future__ import annotations

import itertools

import pytest

from vigie.recording.ingest import IngestSpec, build_command, looped_file_input, rtsp_input
from vigie.recording.models import GapCause, IngestState
from vigie.recording.supervision import (
    CameraFacts,
    Policy,
    backoff_delay,
    classify_end,
    eligibility,
    records_camera,
    restart_wait,
    stagger_offset,
    watchdog_expired,
)

POLICY = Policy()


@pytest.mark.parametrize(
    ("camera_node", "my_node", "enabled_nodes", "expected"),
    [
        (1, 1, 1, True),
        (1, 1, 3, True),
        (2, 1, 3, False),
        (2, 1, 1, False),  # assigned elsewhere, even if that node is disabled
        (None, 1, 1, True),  # a single-server install needs no assignment
        (None, 1, 2, False),  # with several nodes, an unassigned camera waits for one
    ],
)
def test_records_camera(
    camera_node: int | None, my_node: int, enabled_nodes: int, expected: bool
) -> None:
    assert records_camera(camera_node, my_node, enabled_nodes) is expected


@pytest.mark.parametrize(
    ("facts", "record", "state", "cause"),
    [
        (CameraFacts(True, True, True, True), True, IngestState.RECORDING, None),
        (CameraFacts(True, False, True, True), False, "unauthorised", "unauthorised"),
        (CameraFacts(False, False, True, True), False, "unauthorised", "unauthorised"),
        (CameraFacts(False, True, True, True), False, "disabled", "disabled"),
        (CameraFacts(True, True, False, True), False, "stopped", "disabled"),
        (CameraFacts(True, True, True, False), False, "stopped", "disk_full"),
        (CameraFacts(True, True, True, True, False), False, "disk_full", "disk_full"),
    ],
)
def test_eligibility(facts: CameraFacts, record: bool, state: str, cause: str | None) -> None:
    verdict = eligibility(facts)
    assert (verdict.record, verdict.state, verdict.cause) == (record, state, cause)
    assert verdict.record or verdict.detail


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 1.0), (1, 1.5), (2, 2.25), (3, 3.375), (8, 25.62890625), (9, 30.0), (50, 30.0)],
)
def test_backoff_grows_to_thirty_seconds(failures: int, delay: float) -> None:
    assert backoff_delay(failures, POLICY) == pytest.approx(delay)


def test_backoff_retries_within_five_seconds_of_a_ten_second_outage() -> None:
    attempts, t, failures = [], 0.0, 0
    while t < 20:
        t += backoff_delay(failures, POLICY)
        attempts.append(t)
        failures += 1
    first_after_return = next(a for a in attempts if a >= 10)
    assert first_after_return - 10 <= 5


@pytest.mark.parametrize(
    ("restarts", "now", "wait"),
    [
        ([], 0.0, 0.0),
        ([float(i) for i in range(9)], 10.0, 0.0),  # 9 in the window: a 10th is fine
        ([float(i) for i in range(10)], 10.0, 590.0),  # 10 already: wait for the oldest
        ([float(i) for i in range(10)], 600.5, 0.0),  # the oldest left the window
        ([float(i) for i in range(20)], 100.0, 510.0),  # the 10th newest counts
    ],
)
def test_restart_rate_limit(restarts: list[float], now: float, wait: float) -> None:
    assert restart_wait(restarts, now, POLICY) == pytest.approx(wait)


@pytest.mark.parametrize(
    ("last", "now", "expired"), [(0.0, 9.9, False), (0.0, 10.0, True), (5.0, 30.0, True)]
)
def test_watchdog(last: float, now: float, expired: bool) -> None:
    assert watchdog_expired(last, now, POLICY) is expired


def test_rtsp_timeout_is_half_the_watchdog() -> None:
    # FFmpeg's -timeout fires after about twice its value.
    assert Policy(watchdog_s=10).rtsp_timeout_us == 5_000_000


def test_stagger_spreads_cameras_across_the_period() -> None:
    offsets = sorted(stagger_offset(i, 60) for i in range(1, 41))
    assert all(0 <= o < 60 for o in offsets)
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    assert max(gaps) < 4  # 40 cameras over 60 s: no cluster, no long hole
    assert stagger_offset(7, 60) == stagger_offset(7, 60)  # same second after a restart


AUTH = "[rtsp @ 0x55d0c8a1e2c0] method DESCRIBE failed: 401 Unauthorized"
REFUSED = "[tcp @ 0x5581] Connection to tcp://127.0.0.1:9 failed: Connection refused"
NOT_VIDEO = "Stream map '0:v:0' matches no streams."
FULL = "[segment @ 0x55] Failure occurred when ending segment 'x.ts': No space left on device"


@pytest.mark.parametrize(
    ("code", "errors", "got_data", "watchdog", "cause", "state", "detail"),
    [
        (1, [AUTH, "rtsp://…: Server returned 401 Unauthorized"], False, False,
         GapCause.CONNECT_FAILED, "reconnecting", "401 Unauthorized"),
        (1, [REFUSED], False, False, GapCause.CONNECT_FAILED, "reconnecting", "Connection refused"),
        (1, [NOT_VIDEO], False, False, GapCause.BAD_STREAM, "reconnecting", "matches no streams"),
        (1, [FULL], True, False, GapCause.DISK_FULL, "disk_full", "No space left"),
        # FFmpeg 5.1 exits 0 when the RTSP server dies: still an interruption.
        (0, [], True, False, GapCause.SOURCE_ENDED, "reconnecting", "exit code 0"),
        (0, [], False, False, GapCause.CONNECT_FAILED, "reconnecting", "no footage"),
        (-9, [], True, True, GapCause.STALLED, "stalled", "no new data"),
        (-9, [], False, True, GapCause.CONNECT_FAILED, "stalled", "no data since"),
        (1, ["Last message repeated 3 times", ""], True, False,
         GapCause.SOURCE_ENDED, "reconnecting", "exit code 1"),
    ],
)  # fmt: skip
def test_classify_end(
    code: int,
    errors: list[str],
    got_data: bool,
    watchdog: bool,
    cause: str,
    state: str,
    detail: str,
) -> None:
    verdict = classify_end(code, errors, got_data=got_data, watchdog=watchdog)
    assert (verdict.cause, verdict.state) == (cause, state)
    assert detail in verdict.detail
    assert "0x55" not in verdict.detail  # FFmpeg's context prefix is dropped


@pytest.mark.parametrize(
    ("errors", "cause", "words"),
    [
        (["[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized",
          "rtsp://admin:S3cret@10.0.0.7:554/h264: Server returned 401 Unauthorized "
          "(authorization failed)"], GapCause.CONNECT_FAILED, ["401", "password"]),
        (["[rtsp @ 0x55] method DESCRIBE failed: 403 Forbidden"], GapCause.CONNECT_FAILED,
         ["forbidden", "403"]),
        (["rtsp://u:p@cam.example/x: Server returned 404 Not Found"], GapCause.CONNECT_FAILED,
         ["not found", "404"]),
        (["[tcp @ 0x55] Connection to tcp://10.0.0.7:554 failed: Connection timed out"],
         GapCause.CONNECT_FAILED, ["unreachable", "timed out"]),
        (["[tcp @ 0x55] Failed to resolve hostname cam.invalid: Name or service not known"],
         GapCause.CONNECT_FAILED, ["host name not found"]),
        ([NOT_VIDEO], GapCause.BAD_STREAM, ["no video stream", "matches no streams"]),
        (["camera stream has no video stream"], GapCause.BAD_STREAM, ["no video stream"]),
        (["rtsp://10.0.0.7/x: Invalid data found when processing input"], GapCause.BAD_STREAM,
         ["unreadable stream"]),
        ([FULL], GapCause.DISK_FULL, ["storage full", "No space left"]),
    ],
)  # fmt: skip
def test_end_details_are_plain_words_first_and_never_show_credentials(
    errors: list[str], cause: str, words: list[str]
) -> None:
    verdict = classify_end(1, errors, got_data=False)
    assert verdict.cause == cause
    for word in words:
        assert word.lower() in verdict.detail.lower()
    # The operator's sentence comes first, FFmpeg's own line after it.
    assert verdict.detail.lower().startswith(words[0].lower()) or "(" in verdict.detail
    assert "S3cret" not in verdict.detail and "u:p@" not in verdict.detail
    assert "0x55" not in verdict.detail


def test_credentials_are_removed_from_any_line_kept() -> None:
    line = "rtsp://admin:S3cret@10.0.0.7:554/h264: End of file"
    for watchdog in (False, True):
        verdict = classify_end(0, [line], got_data=True, watchdog=watchdog)
        assert "S3cret" not in verdict.detail and "admin" not in verdict.detail
        assert "rtsp://10.0.0.7:554/h264" in verdict.detail


def test_command_is_stream_copy_with_staggered_segments_and_live_window() -> None:
    spec = IngestSpec(7, "rtsp://127.0.0.1:8554/cam1", "/srv/pool", 60, 19.5)
    cmd = build_command(spec, rtsp_input(5_000_000))
    text = " ".join(cmd)
    assert "-rtsp_transport tcp -timeout 5000000 -i rtsp://127.0.0.1:8554/cam1" in text
    assert cmd.count("copy") == 2 and "-vcodec" not in cmd  # never re-encode
    assert "-segment_clocktime_offset 19.5" in text
    assert "/srv/pool/segments/7/%Y-%m-%d/%Y%m%dT%H%M%SZ.ts" in cmd
    assert cmd[-1] == "/srv/pool/live/7/index.m3u8"
    looped = build_command(spec, looped_file_input("/x.mp4"))
    assert "-re -stream_loop -1 -i /x.mp4" in " ".join(looped)

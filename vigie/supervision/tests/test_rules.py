"""The state of a camera from its probe, the recorder's view and the norms: a table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils.translation import override

from vigie.supervision.models import HealthState
from vigie.supervision.probe import ProbeResult
from vigie.supervision.rules import Decision, RecorderFacts, check_norms, decide, ticket_due

OK_PROBE = ProbeResult(1, True, 200, 12.0, "H264", 1280, 720, 25.0)
SMALL = ProbeResult(1, True, 200, 12.0, "H264", 640, 360, 25.0)
SLOW = ProbeResult(1, True, 200, 12.0, "H264", 1280, 720, 5.0)
NO_FPS = ProbeResult(1, True, 200, 12.0, "H264", 1280, 720, None)
REFUSED = ProbeResult(1, False, error="camera unreachable: Connection refused")
TIMEOUT = ProbeResult(1, True, None, 500.0, error="no RTSP answer within 3 s")
AUTH = ProbeResult(1, True, 401, 3.0, error="authentication refused (401)")
RECORDING = RecorderFacts("recording")
DOWN, DEGRADED, OK = HealthState.DOWN, HealthState.DEGRADED, HealthState.OK

CASES = [
    # probe, recorder, close_up, supervised -> state, trouble, words in the cause
    (OK_PROBE, RECORDING, False, True, OK, False, ""),
    (OK_PROBE, RECORDING, True, True, OK, False, ""),
    (REFUSED, RECORDING, False, True, DOWN, True, "Connection refused"),
    (TIMEOUT, RecorderFacts("reconnecting"), False, True, DOWN, True, "no RTSP answer"),
    (AUTH, RECORDING, False, True, DOWN, True, "401"),
    (None, RECORDING, False, True, DOWN, True, "no stream URL"),
    (OK_PROBE, RecorderFacts("stalled", "no data"), False, True, DEGRADED, True, "Stalled"),
    (OK_PROBE, RecorderFacts("reconnecting"), False, True, DEGRADED, True, "not recording"),
    (OK_PROBE, RecorderFacts("disk_full"), False, True, DEGRADED, True, "Storage full"),
    (OK_PROBE, RecorderFacts("unauthorised"), False, True, DEGRADED, False, "Not authorised"),
    (OK_PROBE, RecorderFacts(""), False, True, DEGRADED, False, "no recorder"),
    (OK_PROBE, RecorderFacts("recording", gaps_last_hour=3), False, True, DEGRADED, False, "3"),
    (OK_PROBE, RecorderFacts("recording", gaps_last_hour=2), False, True, OK, False, ""),
    (SMALL, RECORDING, True, True, DEGRADED, False, "640×360 below 704×576"),
    (SMALL, RECORDING, False, True, OK, False, ""),
    (SLOW, RECORDING, False, True, DEGRADED, False, "5 frames/s below 6"),
    (SLOW, RECORDING, True, True, DEGRADED, False, "below 12"),
    (NO_FPS, RECORDING, True, True, OK, False, ""),
    # The recorder's size wins over the SDP's (it is what is stored).
    (
        OK_PROBE,
        RecorderFacts("recording", width=320, height=240),
        False,
        True,
        DEGRADED,
        False,
        "320×240",
    ),
    (REFUSED, RECORDING, False, False, HealthState.UNSUPERVISED, False, "disabled"),
]


@pytest.mark.parametrize(
    ("probe", "recorder", "close_up", "supervised", "state", "trouble", "words"), CASES
)
def test_state_table(probe, recorder, close_up, supervised, state, trouble, words) -> None:
    with override("en"):
        decision = decide(probe, recorder, close_up=close_up, supervised=supervised)
    assert isinstance(decision, Decision)
    assert (decision.state, decision.trouble) == (state, trouble), decision
    assert words in decision.cause
    if state == OK:
        assert decision.cause == ""


@pytest.mark.parametrize(
    ("close_up", "size", "fps", "ok"),
    [
        (True, (704, 576), 12.0, True),
        (True, (703, 576), 25.0, False),
        (True, (704, 575), 25.0, False),
        (True, (1920, 1080), 11.9, False),
        (False, (352, 288), 6.0, True),
        (False, (351, 288), 6.0, False),
        (False, (352, 288), 5.0, False),
        (False, (None, None), 25.0, None),
        (True, (1280, 720), None, True),
    ],
)
def test_norms_table(close_up, size, fps, ok) -> None:
    assert check_norms(close_up, size[0], size[1], fps).ok is ok


def test_the_recorded_frame_rate_is_what_the_norms_judge() -> None:
    # The camera says 25 frames/s; the recorder stores 5: below the close-up norm of 12.
    slow_recording = RecorderFacts("recording", fps=5.0)
    with override("en"):
        decision = decide(OK_PROBE, slow_recording, close_up=True)
    assert decision.state == DEGRADED and decision.norms.ok is False
    assert "5 frames/s below 12" in decision.norms.detail
    # The camera says nothing; the recorder's 25 frames/s meet it.
    measured = decide(NO_FPS, RecorderFacts("recording", fps=25.0), close_up=True)
    assert measured.norms.ok is True
    # Neither knows: said, not held against the camera.
    with override("en"):
        unknown = decide(NO_FPS, RECORDING, close_up=True).norms
    assert unknown.ok is True and "not known" in unknown.detail


def test_ticket_due() -> None:
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    quarter = timedelta(minutes=15)
    assert not ticket_due(None, t0, quarter)
    assert not ticket_due(t0, t0 + timedelta(minutes=14, seconds=59), quarter)
    assert ticket_due(t0, t0 + quarter, quarter)

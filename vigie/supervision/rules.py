"""Pure decisions of the supervision: a camera's state from its probe, the recorder's
view and the image norms; whether an outage has lasted long enough for a ticket. No
I/O: every rule is tested with tables of cases.

Order of severity: a camera that does not answer (TCP or RTSP) is **down**, whatever
the recorder says; one that answers but is not recorded, gaps often, or is below the
image norms is **degraded**, with every reason given; otherwise it is **OK**.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from vigie.recording.models import IngestState
from vigie.supervision.models import HealthState
from vigie.supervision.probe import ProbeResult

# Recorder states that mean a fault to repair (a ticket after the threshold); an
# unauthorised camera is stopped by the law, not broken: degraded, no ticket.
RECORDER_FAULTS = frozenset({IngestState.RECONNECTING, IngestState.STALLED, IngestState.DISK_FULL})
NOT_RECORDING = RECORDER_FAULTS | {IngestState.UNAUTHORISED, IngestState.STOPPED}
# This many gaps in an hour: the camera flaps.
GAPS_DEGRADED = 3

# Image norms (arrêté of 3 August 2007, rule 7): close-up cameras 704×576 and 12 fps,
# the others 352×288 and 6 fps.
CLOSE_UP_NORM = (704, 576, 12.0)
OTHER_NORM = (352, 288, 6.0)


@dataclass(frozen=True)
class RecorderFacts:
    state: str = ""  # an IngestState, "" when no recorder has a row for the camera
    detail: str = ""
    width: int | None = None  # of the last segment written
    height: int | None = None
    gaps_last_hour: int = 0
    fps: float | None = None  # pictures per second in the last segment, as recorded


@dataclass(frozen=True)
class Norms:
    ok: bool | None  # None: not known yet (no size seen)
    detail: str = ""


@dataclass(frozen=True)
class Decision:
    state: str
    cause: str = ""
    trouble: bool = False  # down or not recording: what opens an automatic ticket
    norms: Norms = Norms(None)


def check_norms(close_up: bool, width: int | None, height: int | None, fps: float | None) -> Norms:
    """Rule 7 on what is known; an unknown frame rate is said, not held against it."""
    min_w, min_h, min_fps = CLOSE_UP_NORM if close_up else OTHER_NORM
    if width is None or height is None:
        return Norms(None, _("picture size not known yet"))
    problems = []
    if width < min_w or height < min_h:
        problems.append(
            _("%(w)d×%(h)d below %(mw)d×%(mh)d")
            % {"w": width, "h": height, "mw": min_w, "mh": min_h}
        )
    if fps is not None and fps < min_fps:
        problems.append(_("%(f)g frames/s below %(m)g") % {"f": fps, "m": min_fps})
    if problems:
        return Norms(False, "; ".join(problems))
    if fps is None:
        return Norms(True, _("frame rate not known (not announced, not measured yet)"))
    return Norms(True)


def decide(
    probe: ProbeResult | None,
    recorder: RecorderFacts,
    *,
    close_up: bool = False,
    supervised: bool = True,
) -> Decision:
    if not supervised:
        return Decision(HealthState.UNSUPERVISED, _("camera disabled or out of service"))
    if probe is None:
        return Decision(HealthState.DOWN, _("not probed: no stream URL"), trouble=True)
    if not probe.ok:
        cause = probe.error or _("RTSP answer %(s)s") % {"s": probe.rtsp_status}
        return Decision(HealthState.DOWN, cause, trouble=True)
    reasons, trouble = [], False
    if recorder.state in NOT_RECORDING:
        label = IngestState(recorder.state).label
        reasons.append(
            _("not recording (%(state)s)") % {"state": label}
            + (f": {recorder.detail}" if recorder.detail else "")
        )
        trouble = recorder.state in RECORDER_FAULTS
    elif not recorder.state:
        reasons.append(_("no recorder records it"))
    if recorder.gaps_last_hour >= GAPS_DEGRADED:
        reasons.append(_("%(n)d recording gaps in the last hour") % {"n": recorder.gaps_last_hour})
    width = recorder.width if recorder.width else probe.width
    height = recorder.height if recorder.height else probe.height
    # What is recorded is what the norms are about; the camera's word when not known.
    norms = check_norms(close_up, width, height, recorder.fps or probe.fps)
    if norms.ok is False:
        reasons.append(_("below the image norms: %(d)s") % {"d": norms.detail})
    state = HealthState.DEGRADED if reasons else HealthState.OK
    return Decision(state, "; ".join(reasons), trouble, norms)


def ticket_due(trouble_since: datetime | None, now: datetime, threshold: timedelta) -> bool:
    """A trouble that has lasted ``threshold`` (or longer) calls for its ticket."""
    return trouble_since is not None and now - trouble_since >= threshold

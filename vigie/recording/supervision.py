"""Pure decisions of the recorder: which cameras to record, when to restart an ingest,
how long to wait, and what an ingest's end means. No I/O here: the recorder feeds facts
in and acts on the answers, so every rule is tested with tables of cases.

What FFmpeg 5.1 does, and why these rules look the way they do (measured here):
- when the RTSP server dies FFmpeg exits with code 0 and never reconnects by itself,
  so *any* exit is a restart, whatever its code;
- a frozen source without ``-timeout`` blocks it forever, and ``-timeout`` fires after
  about twice its value, so a watchdog on the bytes written decides, not FFmpeg;
- ``-stimeout`` and ``-rw_timeout`` are rejected by its RTSP demuxer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from vigie.recording.models import GapCause, IngestState


@dataclass(frozen=True)
class Policy:
    """The recorder's tunables (``vigie recorder`` options feed them)."""

    segment_time_s: float = 60.0
    watchdog_s: float = 10.0
    backoff_min_s: float = 1.0
    backoff_max_s: float = 30.0
    # 1.5 rather than 2: a camera back after a 10 s outage is retried within ~3.5 s
    # (attempts at 1, 2.5, 4.75, 8.1, 13.2 s), where doubling would wait until 15 s.
    backoff_factor: float = 1.5
    # Restarts after a connection that delivered footage (a flapping camera): failed
    # connection attempts are already paced by the back-off and are not counted.
    max_restarts: int = 10
    restart_window_s: float = 600.0
    tick_s: float = 0.5
    inventory_every_s: float = 10.0

    @property
    def rtsp_timeout_us(self) -> int:
        # FFmpeg's -timeout fires after about twice its value: half the watchdog makes
        # FFmpeg give up on a dead socket at about the time the watchdog would.
        return max(1, int(self.watchdog_s / 2 * 1_000_000))


# ---------------------------------------------------------------- which cameras


def records_camera(camera_node_id: int | None, my_node_id: int, enabled_nodes: int) -> bool:
    """A node records its own cameras; a camera with no node is recorded only when this
    node is the only enabled one (a single-server install needs no assignment)."""
    if camera_node_id is None:
        return enabled_nodes == 1
    return camera_node_id == my_node_id


@dataclass(frozen=True)
class CameraFacts:
    enabled: bool
    authorised: bool
    has_url: bool
    has_pool: bool
    pool_writable: bool = True


@dataclass(frozen=True)
class Verdict:
    """Whether to record; if not, the state to show and the cause of the gap it makes."""

    record: bool
    state: str = IngestState.RECORDING
    cause: str | None = None
    detail: str = ""


def eligibility(facts: CameraFacts) -> Verdict:
    """The law first (no valid authorisation, no recording), then the operator's choice,
    then what the node can do."""
    if not facts.authorised:
        return Verdict(
            False,
            IngestState.UNAUTHORISED,
            GapCause.UNAUTHORISED,
            "no valid prefectoral authorisation today",
        )
    if not facts.enabled:
        return Verdict(False, IngestState.DISABLED, GapCause.DISABLED, "camera disabled")
    if not facts.has_url:
        return Verdict(False, IngestState.STOPPED, GapCause.DISABLED, "no stream URL")
    if not facts.has_pool:
        return Verdict(
            False, IngestState.STOPPED, GapCause.DISK_FULL, "no enabled storage pool on this node"
        )
    if not facts.pool_writable:
        return Verdict(
            False, IngestState.DISK_FULL, GapCause.DISK_FULL, "storage pool full or not writable"
        )
    return Verdict(True)


def stagger_offset(camera_id: int, segment_time_s: float) -> float:
    """Where in the segment period this camera rotates: the golden ratio spreads
    consecutive ids evenly, so cameras do not all close their files in the same second."""
    return round((camera_id * 0.6180339887498949) % 1.0 * segment_time_s, 3)


def next_boundary(now: float, period_s: float, offset_s: float) -> float:
    """The first instant after ``now`` (epoch seconds) where this camera's segment
    period turns, i.e. ``offset_s`` past a multiple of ``period_s`` (what FFmpeg's
    ``-segment_atclocktime`` with ``-segment_clocktime_offset`` does)."""
    turns = math.floor((now - offset_s) / period_s) + 1
    return turns * period_s + offset_s


# ---------------------------------------------------------------- when to restart


def backoff_delay(failures: int, policy: Policy) -> float:
    """Seconds before the next attempt after ``failures`` consecutive attempts that
    delivered no footage (0 after a connection that did)."""
    delay = policy.backoff_min_s * policy.backoff_factor ** max(0, failures)
    return float(min(policy.backoff_max_s, delay))


def restart_wait(recent_restarts: Sequence[float], now: float, policy: Policy) -> float:
    """Extra seconds to wait so that no more than ``max_restarts`` restarts happen in
    ``restart_window_s``; 0 when a restart is allowed now."""
    window = [t for t in recent_restarts if now - t < policy.restart_window_s]
    if len(window) < policy.max_restarts:
        return 0.0
    oldest = sorted(window)[-policy.max_restarts]
    return max(0.0, oldest + policy.restart_window_s - now)


def watchdog_expired(last_progress: float, now: float, policy: Policy) -> bool:
    """No new bytes (or, before the first file, no file at all) for ``watchdog_s``."""
    return now - last_progress >= policy.watchdog_s


# ---------------------------------------------------------------- what an end means

# What an ingest's last words mean: the gap's cause and a sentence an operator reads
# first on the dashboard (the engine's own line follows it, for the technician).
_CONNECT, _BAD = GapCause.CONNECT_FAILED, GapCause.BAD_STREAM
_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"No space left on device|Disk quota exceeded", re.I), GapCause.DISK_FULL,
     "storage full"),
    (re.compile(r"401 Unauthorized|authorization failed", re.I), _CONNECT,
     "authentication refused (401): wrong or missing user name or password"),
    (re.compile(r"403 Forbidden", re.I), _CONNECT, "access forbidden by the camera (403)"),
    (re.compile(r"404 Not Found", re.I), _CONNECT,
     "stream not found on the camera (404)"),
    (re.compile(r"Connection refused", re.I), _CONNECT, "camera unreachable: connection refused"),
    (re.compile(r"Connection timed out|No route to host|Network is unreachable", re.I), _CONNECT,
     "camera unreachable"),
    (re.compile(r"Name or service not known|Temporary failure in name resolution", re.I),
     _CONNECT, "camera host name not found"),
    (re.compile(r"matches no streams|no video stream", re.I), _BAD,
     "no video stream in what the camera sends"),
    (re.compile(r"Could not find codec parameters|Invalid data found when processing input",
                re.I), _BAD, "unreadable stream"),
    # The PyAV ingest's own words for its timeouts (avingest).
    (re.compile(r"^no data from the camera for", re.I), GapCause.STALLED,
     "the camera stopped sending images"),
    (re.compile(r"^no answer from the camera", re.I), _CONNECT, "camera does not answer"),
)  # fmt: skip
_STATES: dict[str, str] = {
    GapCause.DISK_FULL: IngestState.DISK_FULL,
    GapCause.STALLED: IngestState.STALLED,
}
# Lines that say nothing about why an ingest ended.
_NOISE = re.compile(
    r"^(Last message repeated|Press \[q\]|Exiting normally|\s*$)|"
    r"(Non-monotonous DTS|max delay reached|RTP: missed|decode_slice_header|"
    r"Packets may have been lost|Timestamps are unset|Conversion failed!)",
    re.I,
)


def meaningful(line: str) -> bool:
    return not _NOISE.search(line)


_CONTEXT = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")
# "rtsp://user:secret@host/…": the credentials must not reach the dashboard or the log.
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@]*@", re.I)


def _strip_context(line: str) -> str:
    # "[rtsp @ 0x55d…] method DESCRIBE failed: 401 Unauthorized" → the message only.
    return _USERINFO.sub(r"\1", _CONTEXT.sub("", line.strip()))[:400]


@dataclass(frozen=True)
class EndVerdict:
    cause: str
    detail: str
    state: str


def classify_end(
    returncode: int | None,
    errors: Sequence[str],
    *,
    got_data: bool,
    watchdog: bool = False,
) -> EndVerdict:
    """Why an ingest ended, from its exit code, its last stderr lines (oldest first)
    and whether it wrote footage. FFmpeg's code alone means little (0 on a dead server)."""
    lines = [_strip_context(e) for e in errors if meaningful(e)]
    for line in reversed(lines):
        for pattern, cause, message in _PATTERNS:
            if pattern.search(line):
                state = _STATES.get(cause, IngestState.RECONNECTING)
                return EndVerdict(cause, f"{message} ({line})", state)
    last = lines[-1] if lines else ""
    if watchdog:
        what = "no new data" if got_data else "no data since the connection"
        return EndVerdict(
            GapCause.STALLED if got_data else GapCause.CONNECT_FAILED,
            f"{what}; ingest restarted" + (f" ({last})" if last else ""),
            IngestState.STALLED,
        )
    if got_data:
        detail = last or f"the camera ended the stream (exit code {returncode})"
        return EndVerdict(GapCause.SOURCE_ENDED, detail, IngestState.RECONNECTING)
    detail = last or f"no footage received (exit code {returncode})"
    return EndVerdict(GapCause.CONNECT_FAILED, detail, IngestState.RECONNECTING)

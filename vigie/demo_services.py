"""What ``vigie demo`` runs beside the web server: the simulated cameras, the recorder
and the retention loop, each its own process, all stopped when the demo stops."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vigie.demo import RTSP_PORT, rtsp_url

# How long a child gets to close its files after SIGTERM before it is killed.
STOP_GRACE_S = 10


def _vigie(*args: str) -> subprocess.Popen[bytes]:
    # The same interpreter and settings as this process: the children share its
    # database and data directory through the inherited VIGIE_* environment.
    return subprocess.Popen([sys.executable, "-m", "vigie.cli", *args], env=os.environ.copy())


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_until_stopped(argv: list[str]) -> None:
    """Run the web server as a child (not exec: the services above must outlive the
    exec'd image's closed pipes) until it ends, Ctrl-C or SIGTERM."""

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    process = subprocess.Popen(argv)
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(process)
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def demo_services(
    cameras: int,
    footage: str | None,
    out: Any,
    port: int = RTSP_PORT,
    broken: int | None = None,
) -> Iterator[None]:
    """Start the demo's camera simulator, recorder and background loops; stop them after."""
    from vigie.recording.simulator import SimulatedCameras

    source = Path(footage) if footage else None
    if source is not None and not source.is_dir():
        raise SystemExit(f"vigie demo: --footage {footage}: no such folder")
    out.write(f"Simulated cameras: {cameras} on {rtsp_url(1, port)} … /cam{cameras}")
    out.write("  (first start encodes the footage once; later starts reuse it)")
    with SimulatedCameras(cameras, port=port, footage=source) as simulator:
        if broken is not None:
            simulator.stop_camera(broken)
            out.write(f"  camera {broken} is out of order on purpose: supervision opens a ticket")
        children = [
            _vigie("recorder"),
            _vigie("retention", "loop", "--interval", "300"),
            # Signed checkpoints of the journal's head, so that the journal of a demo run
            # can be exported and verified (docs/journal.md); a last one on stop.
            _vigie("audit", "checkpoint", "--every", "300"),
            # Health of every camera, and a ticket when one stays down (docs/supervision.md).
            _vigie("supervise", "--interval", "60"),
            _vigie("servicedesk", "escalate", "--interval", "300"),
            _vigie("export-worker"),
        ]
        out.write(
            "Recorder, retention loop, journal checkpoints, supervision and the service"
            " desk's escalations and the export worker started."
        )
        try:
            yield
        finally:
            for child in children:
                _stop(child)

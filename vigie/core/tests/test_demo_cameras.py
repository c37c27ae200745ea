"""``vigie demo`` with its cameras: the simulated cameras, the recorder and the retention
loop start beside gunicorn; the authorised cameras record, the others say why not; and
stopping the demo leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vigie import demo
from vigie.core import actors
from vigie.core.tests.cli_support import VIGIE, cli_env, free_port
from vigie.inventory.models import Camera
from vigie.recording.simulator.footage import cache_dir, pattern_clip
from vigie.recording.tests.reliability_support import run_script, wait_for

STARTUP_S = 120  # migrate, translations, static files, seed, then the cameras connect


def expected_states() -> tuple[set[str], set[str]]:
    """(cameras that must record, cameras without a valid authorisation). The demo's
    camera out of order on purpose records nothing: its stream is stopped."""
    valid = {name for a in demo.AUTHORISATIONS if a.expires_in_days > 0 for name in a.cameras}
    return valid - {demo.BROKEN_CAMERA}, {c.name for c in demo.CAMERAS} - valid


def _start_time(pid: int) -> str | None:
    """The process's start time (field 22 of its stat), None when it is gone or a
    zombie: a PID reused by another process does not pass for the old one."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


def descendants(pid: int) -> dict[int, str]:
    """Every live process below ``pid`` (children, their children…) → its start time."""
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            for child in children:
                started = _start_time(child)
                if started is not None and child not in found:
                    found[child] = started
                    todo.append(child)
    return found


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - 127.0.0.1
            return int(response.status) == 200
    except OSError:
        return False


def demo_recording(env: dict[str, str]) -> Callable[[], dict[str, Any] | None]:
    """A probe: the index once every camera shows what it should, else None."""
    must_record, unauthorised = expected_states()

    def probe() -> dict[str, Any] | None:
        report = run_script(env, "report")
        names = report["cameras"]
        states = {names[str(s["camera"])]: s["state"] for s in report["states"]}
        with_segments = {names[str(s["camera"])] for s in report["segments"]}
        done = (
            all(states.get(n) == "recording" for n in must_record)
            and all(states.get(n) == "unauthorised" for n in unauthorised)
            and states.get(demo.BROKEN_CAMERA) not in (None, "recording")
        )
        return report if done and must_record <= with_segments else None

    return probe


@pytest.mark.django_db
def test_the_demo_cameras_follow_the_rtsp_port() -> None:
    demo.seed()
    report = demo.seed(rtsp_port=9554)
    assert report.created == {"camera URLs moved": len(demo.CAMERAS)}
    urls = sorted(Camera.objects.unrestricted().values_list("rtsp_main", flat=True))
    assert urls == sorted(demo.rtsp_url(n, 9554) for n in range(1, len(demo.CAMERAS) + 1))
    # A URL someone changed by hand is theirs: the demo leaves it alone.
    camera = Camera.objects.unrestricted().get(name=demo.CAMERAS[0].name)
    with actors.acting_as(actors.system("tests")):
        camera.rtsp_main = "rtsp://127.0.0.1:9554/mine"
        camera.save()
    assert demo.seed().created == {"camera URLs moved": len(demo.CAMERAS) - 1}
    camera.refresh_from_db()
    assert camera.rtsp_main == "rtsp://127.0.0.1:9554/mine"


def test_vigie_demo_records_its_cameras_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    log = tmp_path / "demo.log"
    # The test pattern is encoded once per data directory: reuse the suite's copy.
    pattern_clip()
    (data / "simulator").symlink_to(cache_dir(), target_is_directory=True)
    port, rtsp_port = free_port(), free_port()
    with cli_env(data, "democams") as cli, log.open("w") as out:
        process = subprocess.Popen(
            [str(VIGIE), "demo", "--bind", f"127.0.0.1:{port}", "--rtsp-port", str(rtsp_port)],
            env=cli.env, cwd=cli.cwd, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # so that the test can clean up whatever happens
        )  # fmt: skip
        try:
            tail = lambda: log.read_text()[-2000:]  # noqa: E731
            wait_for("the web server", lambda: answers(f"http://127.0.0.1:{port}/login/"),
                     STARTUP_S, tail)  # fmt: skip
            report = wait_for("cameras recording", demo_recording(cli.env), 60, tail)
            children = descendants(process.pid)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, tail()
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    names = {int(k): v for k, v in report["cameras"].items()}
    must_record, unauthorised = expected_states()
    for row in report["states"]:
        if names[row["camera"]] in unauthorised:
            assert "authorisation" in row["detail"], row
    for seg in report["segments"]:
        assert names[seg["camera"]] in must_record
        assert (Path(seg["pool"]) / seg["path"]).is_file(), seg
    # gunicorn and its workers, the recorder, the retention loop, the RTSP server…
    assert len(children) >= 5, children
    time.sleep(0.5)
    left = {pid for pid, started in children.items() if _start_time(pid) == started}
    assert not left, f"processes left after the demo stopped: {left}"
    assert f"rtsp://127.0.0.1:{rtsp_port}/cam1" in log.read_text()

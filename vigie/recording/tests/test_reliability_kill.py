"""``vigie recorder`` killed with SIGKILL, then restarted (issue 3): no index row
without its file, no file without its row, at most the last fragment lost.

The real command runs as a process of its own, on a database of its own (a CliEnv:
the test database's rows are invisible to another process), recording two simulated
cameras. Nothing of the ingest's workings is assumed: only files, rows and gaps.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from vigie.core.tests.cli_support import cli_env
from vigie.recording.tests.reliability_support import (
    INVENTORY_S,
    SEGMENT_S,
    WATCHDOG_S,
    pool_files,
    readable,
    run_script,
    wait_for,
)

pytestmark = pytest.mark.storage
MAX_LOSS = timedelta(seconds=2)  # "at most the last fragment"


@contextmanager
def recorder_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``vigie recorder`` as deployed (its own process), short segments; always reaped."""
    cmd = [sys.executable, "-m", "vigie.cli", "recorder", "--node", "rec-kill"]
    cmd += ["--segment-seconds", str(SEGMENT_S), "--watchdog-seconds", str(WATCHDOG_S)]
    cmd += ["--inventory-seconds", str(INVENTORY_S)]
    with log.open("ab") as out:
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def files_by_camera(pool: Path) -> dict[int, list[Path]]:
    found: dict[int, list[Path]] = {}
    for rel in sorted(pool_files(pool)):
        found.setdefault(int(rel.split("/")[1]), []).append(pool / rel)
    return found


def sizes(pool: Path) -> dict[str, int]:
    return {rel: (pool / rel).stat().st_size for rel in pool_files(pool)}


def newer_than(pool: Path, camera_ids: list[int], when: datetime) -> bool:
    """Each camera has a file named after ``when`` that holds footage."""
    floor = f"{when:%Y%m%dT%H%M%SZ}.ts"
    found = files_by_camera(pool)
    return all(
        any(p.name > floor and p.stat().st_size > 0 for p in found.get(c, [])) for c in camera_ids
    )


def test_sigkill_then_restart_leaves_index_and_files_in_agreement(
    rtsp_cameras: Any, tmp_path: Path
) -> None:
    sim = rtsp_cameras(2)
    pool = tmp_path / "pool"
    log = tmp_path / "recorder.log"
    (tmp_path / "data").mkdir()
    with cli_env(tmp_path / "data", "kill") as cli:
        cameras = [{"name": f"KILL-{i}", "url": sim.url(i)} for i in (1, 2)]
        spec = {"node": "rec-kill", "pool": str(pool), "cameras": cameras}
        seeded = run_script(cli.env, "seed", json.dumps(spec))
        ids = sorted(seeded["cameras"].values())

        with recorder_process(cli.env, log) as first:
            wait_for(
                "2 files per camera",
                lambda: all(len(files_by_camera(pool).get(c, [])) >= 2 for c in ids),
                60,
                lambda: f"{files_by_camera(pool)}; log: {_tail(log)}",
            )
            time.sleep(1.2)  # into the next segment: the kill cuts a file being written
            killed_at = datetime.now(UTC)
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
        # Nobody writes any more: a writer that outlived the recorder would race the
        # next one on the same files.
        after_kill = sizes(pool)
        time.sleep(1.5)
        assert sizes(pool) == after_kill, "files still grow after the recorder was killed"

        with recorder_process(cli.env, log) as second:
            restarted_at = datetime.now(UTC)
            footage = partial(newer_than, pool, ids, restarted_at)
            wait_for("new footage after the restart", footage, 60, partial(_tail, log))
            time.sleep(SEGMENT_S + 1)  # a full segment of the new run
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=60) == 0, _tail(log)
        report = run_script(cli.env, "report")

    assert_index_agrees_with_files(report, pool)
    for camera in ids:
        assert_at_most_the_tail_lost(report, pool, camera, killed_at, restarted_at)
    assert "Traceback" not in log.read_text(errors="replace")


def assert_index_agrees_with_files(report: dict[str, Any], pool: Path) -> None:
    """No row without its file, no file without its row; every row closed and measured."""
    rows = report["segments"]
    assert {r["path"] for r in rows} == pool_files(pool)
    for row in rows:
        data = (pool / row["path"]).read_bytes()
        assert row["closed"] and row["end"], row
        assert row["bytes"] == len(data) and row["sha256"] == hashlib.sha256(data).hexdigest()


def assert_at_most_the_tail_lost(
    report: dict[str, Any], pool: Path, camera: int, killed_at: datetime, restarted_at: datetime
) -> None:
    mine = [r for r in report["segments"] if r["camera"] == camera]
    before = [r for r in mine if _t(r["start"]) < killed_at]
    after = [r for r in mine if _t(r["start"]) >= restarted_at - timedelta(seconds=1)]
    assert len(before) >= 2 and after, mine
    # The file cut by the kill is indexed up to its last packet, and readable.
    cut = max(before, key=lambda r: r["start"])
    assert killed_at - _t(cut["end"]) <= MAX_LOSS, (killed_at, cut)
    assert readable(pool / cut["path"])
    # The time the recorder was down is a gap, closed when recording resumed.
    resumed = _t(after[0]["start"])
    down = [g for g in report["gaps"] if g["camera"] == camera and _t(g["start"]) < resumed]
    assert [g["cause"] for g in down] == ["recorder_down"], report["gaps"]
    assert down[0]["end"] and killed_at - _t(down[0]["start"]) <= MAX_LOSS, down


def _t(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _tail(log: Path) -> str:
    try:
        return " / ".join(log.read_text(errors="replace").splitlines()[-8:])
    except OSError:
        return "no log"

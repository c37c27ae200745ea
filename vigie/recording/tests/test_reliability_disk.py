"""A full disk under a recording camera (issue 3): held segments are all kept, the
storage alarm is raised, the recorder stays up, and it records again once space frees.

The pool is a small tmpfs the test mounts (skipped, with the reason, where mounting is
impossible), really filled until the kernel answers ENOSPC. The recorder runs in a
thread; the pressure pass that the retention loop makes every few minutes is called
directly. A second camera records on another pool of the same node all along.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from vigie.core.testing import make_member
from vigie.recording import recorder, services
from vigie.recording.models import GapCause, Segment, StorageAlarm
from vigie.recording.tests.reliability_support import (
    RecorderThread,
    add_camera,
    describe,
    file_sha256,
    fill_until_full,
    gaps,
    make_node,
    mounted_tmpfs,
    patient,
    pool_files,
    recorder_thread,
    segment_file,
    segments,
    state,
    state_is,
    wait_for,
)

__all__ = ["recorder_thread"]  # fixture
pytestmark = [pytest.mark.storage, pytest.mark.django_db(transaction=True)]

MIB = 1 << 20
# The recorder keeps a margin free on a pool before it writes there (64 MB today):
# the file system must be larger than that, and then be filled by the test.
MARGIN = getattr(recorder, "MIN_FREE_BYTES", 64 * MIB)


def active_alarm(pool: Any) -> StorageAlarm | None:
    alarms = StorageAlarm.objects.unrestricted().filter(storage_pool=pool, cleared_at=None)
    return patient(alarms.first)


def pressure_pass(pool: Any) -> Any:
    """What the retention loop does every few minutes, here and now. The service
    reports database errors instead of raising them: SQLite's table locks (see
    ``patient``) are retried here."""
    for _ in range(100):
        report = patient(services.relieve_disk_pressure, pool)
        if "locked" not in report.error:
            break
        time.sleep(0.1)
    return report


def test_a_full_disk_keeps_held_footage_raises_the_alarm_and_recording_resumes(
    rtsp_cameras: Any, tmp_path: Path, recorder_thread: Callable[[Any], RecorderThread]
) -> None:
    size_mib = MARGIN // MIB + 16
    with mounted_tmpfs(tmp_path / "disk", f"{size_mib}m") as disk:
        sim = rtsp_cameras(2)
        # 90 % wanted free: once the disk is full, deleting unheld footage cannot get
        # there, so the pressure pass must raise the alarm.
        node, (small, roomy) = make_node(
            "rec-disk", disk / "pool", tmp_path / "roomy", min_free_percent=90
        )
        member = make_member()
        camera = add_camera(member, sim.url(1), name="ON-SMALL-DISK", storage_pool=small)
        other = add_camera(member, sim.url(2), name="ON-OTHER-POOL", storage_pool=roomy)
        both = partial(describe, camera, other)
        running = recorder_thread(node)
        wait_for("2 closed segments", lambda: len(segments(camera, True)) >= 2, 40, both)

        held = hold_what_was_recorded(member, camera)

        fill_until_full(disk / "filler.bin")  # something else filled the disk
        report = pressure_pass(small)
        assert report.shortfall_bytes > 0 and report.alarm in ("raised", "active"), report
        wait_for("state disk_full", lambda: state_is(camera, "disk_full"), 20, both)
        alarm = active_alarm(small)
        assert alarm is not None and alarm.severity == "critical" and small.name in alarm.message
        assert running.alive
        assert [g.cause for g in gaps(camera) if g.end is None] == [GapCause.DISK_FULL], both()
        assert all_kept(held), both()
        # The other pool's camera never noticed.
        before = len(segments(other))
        wait_for("the other camera goes on", lambda: len(segments(other)) > before, 15, both)
        assert state_is(other, "recording") and not gaps(other), both()

        (disk / "filler.bin").unlink()
        freed_at = datetime.now(UTC)
        report = pressure_pass(small)
        assert report.alarm == "cleared" and active_alarm(small) is None, report
        again = partial(recording_since, camera, freed_at - timedelta(seconds=1))
        wait_for("recording again on the freed disk", again, 40, both)
        assert all(g.end is not None for g in gaps(camera)), both()
        assert "full" not in state(camera).detail, both()  # yesterday's news is gone
        running.stop()

        assert all_kept(held)
        assert pool_files(small.path) == {s.path for s in segments(camera)}
        assert all(file_sha256(s) == s.sha256 for s in segments(camera))


def hold_what_was_recorded(member: Any, camera: Any) -> set[str]:
    """An officer's requisition freezes the footage recorded so far: its paths."""
    now = datetime.now(UTC)
    patient(
        services.place_hold,
        member, [camera], now - timedelta(hours=1), now, "Réquisition OPJ", "PV-DISK-1",
    )  # fmt: skip
    return {s.path for s in segments(camera) if s.start <= now}


def recording_since(camera: Any, when: datetime) -> bool:
    return state_is(camera, "recording") and any(
        s.start >= when for s in segments(camera, closed=True)
    )


def all_kept(held: set[str]) -> bool:
    """Every held segment still has its row and its file."""
    query = Segment.objects.unrestricted().filter(path__in=held).select_related("storage_pool")
    rows: list[Segment] = patient(list, query)
    return len(rows) == len(held) and all(segment_file(s).is_file() for s in rows)

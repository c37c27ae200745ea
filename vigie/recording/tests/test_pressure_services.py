"""Disk pressure on real files: oldest unheld footage first, never held footage, the
critical alarm raised once and cleared when space is back."""

from __future__ import annotations

import contextlib
import errno
import shutil
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import OperationalError

from vigie.audit.models import JournalEntry
from vigie.core import actors
from vigie.core.models import IsolationError
from vigie.core.testing import make_camera, make_member, make_user
from vigie.recording import services, storage_alarms
from vigie.recording.models import DestructionRecord, Segment, StorageAlarm
from vigie.recording.tests.retention_support import (
    NOW,
    committed,
    fake_disk,
    file_of,
    index_is_whole,
    make_pool,
    make_segment,
    world,
)

__all__ = ["committed", "fake_disk", "world"]  # fixtures

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _forget_unrecorded_alarms():
    yield
    storage_alarms._UNRECORDED_ALARMS.clear()


def hold_all(world, start=NOW - 30 * DAY, end=NOW):
    return services.place_hold(
        world.member, [world.camera, world.other_camera], start, end, "Réquisition", "PV-1"
    )


def fill(world, hours: int, size: int = 1000):
    """One segment an hour for ``hours`` hours before NOW, alternating cameras."""
    made = []
    for i in range(hours, 0, -1):
        camera = world.camera if i % 2 else world.other_camera
        made.append(make_segment(camera, world.pool, NOW - i * HOUR, size=size))
    return made


def test_frees_the_oldest_footage_until_enough_is_free(world, fake_disk, committed):
    made = fill(world, 10)  # 10 000 bytes
    fake_disk.capacity = 10_500  # 500 free, 10 % = 1050 wanted: 550 to free
    report = committed(services.relieve_disk_pressure, world.pool, now=NOW)
    assert report.needed_bytes == 550 and report.segments == 1 and report.bytes == 1000
    assert not file_of(made[0]).exists()
    assert all(file_of(s).is_file() for s in made[1:])
    assert report.alarm == "" and report.writable
    assert services.pool_writable(world.pool)
    record = DestructionRecord.objects.unrestricted().get()
    assert record.cause == "disk_pressure" and record.segment_count == 1
    entry = JournalEntry.objects.get(action="recording.segments.destroy")
    assert entry.actor_name == "job:retention" and "below 10% free" in entry.reason
    assert index_is_whole(world.pool)


def test_one_register_row_per_camera(world, fake_disk, committed):
    fill(world, 10)
    fake_disk.capacity = 10_000  # nothing free, 10 % wanted: one segment goes
    report = committed(services.relieve_disk_pressure, world.pool, now=NOW)
    assert report.segments == 1
    world.pool.min_free_percent = 50  # 1000 free, 5000 wanted: four go, of both cameras
    report = committed(services.relieve_disk_pressure, world.pool, now=NOW)
    assert report.segments == 4
    cameras = [r.camera_id for r in DestructionRecord.objects.unrestricted()]
    assert len(cameras) == 3 and len(set(cameras)) == 2


def test_a_full_disk_keeps_every_held_segment_and_raises_the_alarm_once(
    world, fake_disk, committed
):
    made = fill(world, 10)
    hold = hold_all(world)
    fake_disk.capacity = 10_000  # full
    for _ in range(3):
        report = committed(services.relieve_disk_pressure, world.pool, now=NOW)
        assert report.segments == 0 and report.shortfall_bytes == 1000
        assert report.protected_held == 10 and not report.writable
    assert Segment.objects.unrestricted().count() == 10
    assert all(file_of(s).is_file() for s in made)
    alarm = StorageAlarm.objects.unrestricted().get()
    assert alarm.active and alarm.severity == "critical" and world.pool.name in alarm.message
    assert JournalEntry.objects.filter(action="recording.storagealarm.raise").count() == 1
    assert not services.pool_writable(world.pool)
    # Released: the next pass frees space and clears the alarm.
    services.release_hold(hold, "Procédure close")
    report = committed(services.relieve_disk_pressure, world.pool, now=NOW)
    assert report.segments == 1 and report.alarm == "cleared" and report.writable
    alarm.refresh_from_db()
    assert not alarm.active and alarm.cleared_at is not None
    assert services.pool_writable(world.pool)
    assert JournalEntry.objects.filter(action="recording.storagealarm.clear").count() == 1
    # And a later shortage raises a new alarm.
    fake_disk.other = 5000
    hold_all(world)
    committed(services.relieve_disk_pressure, world.pool, now=NOW)
    assert StorageAlarm.objects.unrestricted().filter(cleared_at=None).count() == 1
    assert StorageAlarm.objects.unrestricted().count() == 2


def test_retention_never_deletes_held_footage_on_a_full_disk_either(world, fake_disk, committed):
    old = make_segment(world.camera, world.pool, NOW - 20 * DAY)
    services.place_hold(
        world.member, [world.camera], old.start, old.start + HOUR, "Réquisition", "PV-2"
    )
    fake_disk.capacity = 1000
    report = committed(services.run_cleanup_pass, now=NOW)
    assert report.retention.held == 1
    assert report.pressure[0].alarm == "raised"
    assert file_of(old).is_file()


def test_the_alarm_clears_when_space_comes_back_by_other_means(world, fake_disk, committed):
    fill(world, 4)
    hold_all(world)
    fake_disk.capacity = 4000
    committed(services.relieve_disk_pressure, world.pool, now=NOW)
    assert not services.pool_writable(world.pool)
    fake_disk.capacity = 100_000  # a disk added, someone cleaned up…
    report = committed(services.relieve_disk_pressure, world.pool, now=NOW)
    assert report.needed_bytes == 0 and report.alarm == "cleared"
    assert services.pool_writable(world.pool)


def test_members_minimum_days_are_kept(world, fake_disk, committed):
    services.set_recording_policy(world.member, 3)
    young = make_segment(world.camera, world.pool, NOW - 2 * DAY)
    old = make_segment(world.camera, world.pool, NOW - 5 * DAY)
    fake_disk.capacity = 2000  # full: 200 wanted
    report = committed(services.relieve_disk_pressure, world.pool, now=NOW)
    assert report.segments == 1 and report.protected_young == 1
    assert not file_of(old).exists() and file_of(young).is_file()
    fake_disk.capacity = 1000
    report = committed(services.relieve_disk_pressure, world.pool, now=NOW)
    assert report.segments == 0 and report.protected_young == 1
    assert report.alarm == "raised" and file_of(young).is_file()


def test_other_pools_and_open_segments_are_left_alone(world, fake_disk, committed, tmp_path):
    other_pool = make_pool(tmp_path / "other")
    elsewhere = make_segment(world.camera, other_pool, NOW - 20 * DAY)
    writing = make_segment(world.camera, world.pool, NOW - 10 * DAY, closed=False)
    fake_disk.capacity = 1000
    report = committed(services.relieve_disk_pressure, world.pool, now=NOW)
    assert report.segments == 0 and report.alarm == "raised"
    assert file_of(elsewhere).is_file() and file_of(writing).is_file()
    assert services.pool_writable(other_pool)


def test_dry_run_changes_nothing(world, fake_disk, committed):
    made = fill(world, 4)
    fake_disk.capacity = 4000
    report = committed(services.relieve_disk_pressure, world.pool, now=NOW, dry_run=True)
    assert report.segments == 1 and report.cameras[0].segments == 1
    assert all(file_of(s).is_file() for s in made)
    assert not StorageAlarm.objects.unrestricted().exists()
    assert not DestructionRecord.objects.unrestricted().exists()


def test_an_unreadable_pool_raises_the_alarm(world, fake_disk, committed):
    fake_disk.broken = True
    report = committed(services.relieve_disk_pressure, world.pool, now=NOW)
    assert "Input/output error" in report.error and report.alarm == "raised"
    assert not services.pool_writable(world.pool)


def test_the_real_probe_measures_a_real_directory(tmp_path):
    space = services.disk_usage(str(tmp_path))
    assert space.total_bytes > 0 and 0 <= space.free_bytes <= space.total_bytes
    # A pool the recorder has not created yet: measured on the file system it will use.
    later = services.disk_usage(str(tmp_path / "not" / "created" / "yet"))
    assert later.total_bytes == space.total_bytes


def test_an_alarm_that_cannot_be_written_still_stops_writing(world, monkeypatch):
    def full(self, *args, **kwargs):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(StorageAlarm, "save", full)
    alarm, created = services.raise_storage_alarm(world.pool, "full")
    assert alarm is None and not created
    assert not services.pool_writable(world.pool)


def test_disabled_pools_are_not_writable(world):
    world.pool.enabled = False
    assert not services.pool_writable(world.pool)


def test_active_storage_alarms_follow_the_viewers_reach(world, tmp_path):
    a = world.member
    town_pool = make_pool(tmp_path / "town", member=a)
    b_pool = make_pool(tmp_path / "b", member=make_member())
    centre, _ = services.raise_storage_alarm(world.pool, "centre pool full")
    town, _ = services.raise_storage_alarm(town_pool, "town pool full")
    theirs, _ = services.raise_storage_alarm(b_pool, "other pool full")
    services.clear_storage_alarm(b_pool, "fixed")
    tech_a = make_user(role="technician", members=[a])
    admin = make_user(role="syndicate_admin", all_members=True)
    viewer = make_user(role="town_viewer", members=[a])
    assert list(services.active_storage_alarms(tech_a)) == [town]
    assert set(services.active_storage_alarms(admin)) == {centre, town}
    assert not services.active_storage_alarms(viewer).exists()
    assert theirs not in services.active_storage_alarms(actors.system("tests"))


def test_a_person_cannot_run_pressure_relief(world):
    with actors.acting_as(make_user(is_superuser=True)), pytest.raises(IsolationError):
        services.relieve_disk_pressure(world.pool)


# ------------------------------------------------------------------ a really full disk


@contextlib.contextmanager
def tiny_tmpfs(where: Path, size: str = "1m"):
    """A 1 MiB tmpfs, if this machine lets us mount one (root in a container that
    allows it); skipped otherwise. Always unmounted."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", f"vigie-{uuid.uuid4().hex[:8]}", str(where)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_really_full_disk(tmp_path, committed, db):
    """Fill a 1 MiB tmpfs until the kernel says ENOSPC, all footage held: nothing is
    deleted, the alarm is raised once and clears once the hold is released."""
    with tiny_tmpfs(tmp_path / "tmpfs") as root:
        member = make_member()
        pool = make_pool(root, min_free_percent=20)
        camera = make_camera(member, retention_days=30, storage_pool=pool)
        made, start = [], NOW - 5 * DAY
        with pytest.raises(OSError) as full:
            for _ in range(100):
                made.append(make_segment(camera, pool, start, size=64 * 1024))
                start += HOUR
        assert full.value.errno == errno.ENOSPC
        made = list(Segment.objects.unrestricted().filter(camera=camera))
        assert len(made) >= 10
        hold = services.place_hold(member, [camera], NOW - 6 * DAY, NOW, "Réquisition", "PV-ENOSPC")
        for _ in range(2):
            report = committed(services.relieve_disk_pressure, pool, now=NOW)
            assert report.segments == 0 and report.alarm in ("raised", "active")
        assert StorageAlarm.objects.unrestricted().filter(storage_pool=pool).count() == 1
        assert all(file_of(s).is_file() for s in made)
        assert not services.pool_writable(pool)
        services.release_hold(hold, "Procédure close")
        report = committed(services.relieve_disk_pressure, pool, now=NOW)
        assert report.segments > 0 and report.alarm == "cleared"
        space = services.disk_usage(str(root))
        assert space.free_bytes >= 0.2 * space.total_bytes
        assert services.pool_writable(pool)
        assert index_is_whole(pool)

"""Retention on real files: what goes, what a hold keeps, the register and the journal."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction

from vigie.audit.models import JournalEntry
from vigie.core import actors
from vigie.core.models import IsolationError
from vigie.core.testing import as_system, make_camera, make_user
from vigie.recording import services
from vigie.recording.models import (
    DestructionRecord,
    HeldFootageError,
    Segment,
    camera_holds_locked,
)
from vigie.recording.retention import SegmentSpan
from vigie.recording.tests.retention_support import (
    NOW,
    build_world,
    committed,
    file_of,
    index_is_whole,
    make_segment,
    world,
)

__all__ = ["committed", "world"]  # fixtures

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def hold_on(world, start, end, cameras=None, reference="PV-1"):
    return services.place_hold(
        world.member,
        cameras or [world.camera],
        start,
        end,
        reason="Réquisition judiciaire",
        reference=reference,
    )


def test_nothing_older_than_the_retention_survives(world, committed):
    world.fill(world.camera, days=12)
    world.fill(world.other_camera, days=3)
    before = world.segments()
    report = committed(services.run_retention, now=NOW)
    cutoff = NOW - 7 * DAY
    left = world.segments()
    assert left and all(s.end > cutoff for s in left)
    gone = [s for s in before if s.end <= cutoff]
    assert gone and all(not file_of(s).exists() for s in gone)
    assert all(file_of(s).is_file() for s in left)
    assert len(world.segments(world.other_camera)) == 3 * 4
    assert report.segments == len(gone)
    assert report.bytes == 1000 * len(gone)
    assert index_is_whole(world.pool)


def test_one_register_row_and_one_journal_entry_per_camera_and_run(world, committed):
    world.fill(world.camera, days=10)
    world.fill(world.other_camera, days=9)
    committed(services.run_retention, now=NOW)
    records = {r.camera_id: r for r in DestructionRecord.objects.unrestricted()}
    assert set(records) == {world.camera.pk, world.other_camera.pk}
    mine = records[world.camera.pk]
    assert mine.cause == "retention"
    assert mine.member_id == world.member.pk
    assert mine.camera_name == world.camera.name
    assert mine.segment_count == 3 * 4
    assert mine.bytes == 3 * 4 * 1000
    assert mine.period_start == NOW - 10 * DAY
    assert mine.period_end <= NOW - 7 * DAY
    entries = JournalEntry.objects.filter(action="recording.segments.destroy")
    assert entries.count() == 2
    entry = entries.get(object_ids=[str(mine.pk)])
    assert entry.actor_name == "job:retention" and entry.actor_system
    assert entry.member_id == world.member.pk
    assert entry.details["segments"] == 12 and entry.details["cause"] == "retention"
    assert "7 days" in entry.reason
    # A second run finds nothing more: no empty register rows.
    committed(services.run_retention, now=NOW)
    assert DestructionRecord.objects.unrestricted().count() == 2


def test_held_footage_survives_retention_and_goes_once_released(world, committed):
    world.fill(world.camera, days=12)
    hold = hold_on(world, NOW - 11 * DAY, NOW - 10 * DAY)
    report = committed(services.run_retention, now=NOW)
    held = [s for s in world.segments() if s.end <= NOW - 7 * DAY]
    assert held, "the held day must still be there"
    assert all(s.start <= hold.end and s.end >= hold.start for s in held)
    assert all(file_of(s).is_file() for s in held)
    assert report.held == len(held)
    # Released: the next run deletes it.
    services.release_hold(hold, "Procédure close")
    committed(services.run_retention, now=NOW)
    assert all(s.end > NOW - 7 * DAY for s in world.segments())
    assert all(not file_of(s).exists() for s in held)


def test_a_hold_on_footage_older_than_the_retention_keeps_it(world, committed):
    old = make_segment(world.camera, world.pool, NOW - 25 * DAY)
    hold_on(world, old.start - timedelta(hours=1), old.start + timedelta(hours=1))
    for _ in range(2):
        committed(services.run_retention, now=NOW)
    assert Segment.objects.unrestricted().filter(pk=old.pk).exists()
    assert file_of(old).is_file()


def test_hold_of_another_camera_does_not_keep_ours(world, committed):
    seg = make_segment(world.camera, world.pool, NOW - 9 * DAY)
    hold_on(world, NOW - 10 * DAY, NOW - 8 * DAY, cameras=[world.other_camera])
    committed(services.run_retention, now=NOW)
    assert not Segment.objects.unrestricted().filter(pk=seg.pk).exists()


def test_open_segments_are_never_deleted(world, committed):
    open_ = make_segment(world.camera, world.pool, NOW - 20 * DAY, closed=False)
    committed(services.run_retention, now=NOW)
    assert Segment.objects.unrestricted().filter(pk=open_.pk).exists()
    assert file_of(open_).is_file()


def test_each_camera_follows_its_own_retention(tmp_path, committed, db):
    world = build_world(tmp_path)
    short = make_camera(world.member, retention_days=1, storage_pool=world.pool)
    long_ = make_camera(world.member, retention_days=30, storage_pool=world.pool)
    for camera in (short, long_):
        for days in (0.5, 2, 29, 31):
            make_segment(camera, world.pool, NOW - timedelta(days=days) - timedelta(minutes=1))
    committed(services.run_retention, now=NOW)
    assert len(world.segments(short)) == 1
    assert len(world.segments(long_)) == 3


def test_dry_run_deletes_nothing(world, committed):
    world.fill(world.camera, days=10)
    before = world.segments()
    report = committed(services.run_retention, now=NOW, dry_run=True)
    assert report.dry_run and report.segments == 12
    assert world.segments() == before
    assert all(file_of(s).is_file() for s in before)
    assert not DestructionRecord.objects.unrestricted().exists()
    assert not JournalEntry.objects.filter(action="recording.segments.destroy").exists()


def test_retention_beyond_the_law_is_refused(world):
    world.camera.retention_days = 31
    with as_system(), pytest.raises(ValidationError):
        world.camera.save()
    with as_system(), pytest.raises(IntegrityError), transaction.atomic():
        type(world.camera).objects.unrestricted().filter(pk=world.camera.pk).update(
            retention_days=31
        )


def test_a_camera_with_a_retention_beyond_the_law_is_refused_not_clamped(
    world, committed, monkeypatch
):
    """Were a period of 31 days ever to reach the job, it refuses it and carries on."""
    seg = make_segment(world.camera, world.pool, NOW - 20 * DAY)
    other = make_segment(world.other_camera, world.pool, NOW - 20 * DAY)
    real = services._retain_camera

    def corrupt(camera, *args):
        if camera.pk == world.camera.pk:
            camera.retention_days = 31
        return real(camera, *args)

    monkeypatch.setattr(services, "_retain_camera", corrupt)
    report = committed(services.run_retention, now=NOW)
    assert Segment.objects.unrestricted().filter(pk=seg.pk).exists()
    assert not Segment.objects.unrestricted().filter(pk=other.pk).exists()
    assert any("31 days refused" in e for e in report.errors)


def test_a_person_cannot_run_the_job(world):
    person = make_user(role="syndicate_admin", all_members=True)
    with actors.acting_as(person), pytest.raises(IsolationError):
        services.run_retention(now=NOW)


# ------------------------------------------------------------------ deletion by a person


def test_nothing_deletes_held_footage_not_even_directly(world):
    seg = make_segment(world.camera, world.pool, NOW - 3 * DAY)
    hold_on(world, NOW - 4 * DAY, NOW - 2 * DAY)
    with pytest.raises(HeldFootageError):
        services.delete_segments([seg], reason="Nettoyage")
    with as_system(), pytest.raises(HeldFootageError), transaction.atomic():
        seg.delete()
    with as_system(), pytest.raises(HeldFootageError), transaction.atomic():
        Segment.objects.unrestricted().filter(pk=seg.pk).delete()
    assert Segment.objects.unrestricted().filter(pk=seg.pk).exists()
    assert file_of(seg).is_file()


def test_an_open_hold_guard_covers_an_open_segment(world):
    seg = make_segment(world.camera, world.pool, NOW - DAY, closed=False)
    hold_on(world, NOW - 2 * DAY, NOW - DAY + timedelta(hours=1))
    with as_system(), pytest.raises(HeldFootageError), transaction.atomic():
        seg.delete()


def test_a_person_deletes_unheld_footage_with_a_reason(world, committed):
    seg = make_segment(world.camera, world.pool, NOW - 3 * DAY)
    kept = make_segment(world.camera, world.pool, NOW - 2 * DAY)
    admin = make_user(is_superuser=True)
    with actors.acting_as(admin):
        with pytest.raises(ValidationError):
            services.delete_segments([seg], reason=" ")
        [done] = committed(services.delete_segments, [seg], reason="Erreur de caméra")
    assert done.segments == 1 and done.cause == "user"
    assert not file_of(seg).exists() and file_of(kept).is_file()
    record = DestructionRecord.objects.unrestricted().get()
    assert record.cause == "user" and record.segment_count == 1
    entry = JournalEntry.objects.get(action="recording.segments.destroy")
    assert entry.actor_name == admin.username and not entry.actor_system
    assert entry.reason == "Erreur de caméra"


def test_deletion_outside_a_persons_reach_is_refused(world):
    seg = make_segment(world.camera, world.pool, NOW - 3 * DAY)
    viewer = make_user(role="town_viewer", members=[world.member])
    with actors.acting_as(viewer), pytest.raises(IsolationError):
        services.delete_segments([seg], reason="Essai")
    assert Segment.objects.unrestricted().filter(pk=seg.pk).exists()


def test_a_hold_placed_meanwhile_wins(world, committed):
    """The decision was taken, then a hold arrived before the deletion: kept."""
    seg = make_segment(world.camera, world.pool, NOW - 10 * DAY)
    span = SegmentSpan(
        id=seg.pk, camera_id=seg.camera_id, start=seg.start, end=seg.end, bytes=seg.bytes
    )
    hold_on(world, NOW - 11 * DAY, NOW - 9 * DAY)
    with actors.acting_as(actors.system("job:retention")):
        done = committed(services._destroy, world.camera, [span], "retention", "test")
    assert done.segments == 0 and done.held == 1
    assert file_of(seg).is_file()


# ------------------------------------------------------------------ failures and recovery


def test_a_failed_unlink_leaves_an_orphan_that_the_next_pass_sweeps(world, committed, monkeypatch):
    old = make_segment(world.camera, world.pool, NOW - 10 * DAY)
    real_unlink = Path.unlink

    def failing(self, *args, **kwargs):
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "unlink", failing)
    committed(services.run_retention, now=NOW)
    # The row went first: the index never points at a missing file.
    assert not Segment.objects.unrestricted().filter(pk=old.pk).exists()
    assert file_of(old).is_file()
    assert index_is_whole(world.pool)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    report = committed(services.run_retention, now=NOW)
    assert report.orphans == 1 and report.orphan_bytes == 1000
    assert not file_of(old).exists()
    entry = JournalEntry.objects.get(action="recording.orphans.destroy")
    assert entry.actor_name == "job:retention"


def test_orphans_are_swept_only_past_retention_and_never_when_held(world, committed):
    old = make_segment(world.camera, world.pool, NOW - 10 * DAY)
    young = make_segment(world.camera, world.pool, NOW - 2 * DAY)
    held = make_segment(world.camera, world.pool, NOW - 12 * DAY)
    for seg in (old, young, held):
        with as_system():
            Segment.objects.unrestricted().filter(pk=seg.pk).delete()  # orphan its file
    hold_on(world, held.start, held.end)
    report = committed(services.run_retention, now=NOW)
    assert report.orphans == 1
    assert not file_of(old).exists()
    assert file_of(young).is_file() and file_of(held).is_file()


def test_a_register_that_cannot_be_written_does_not_stop_the_pass(world, committed, monkeypatch):
    """ENOSPC on the database's disk: that camera keeps everything, the others go on."""
    blocked = make_segment(world.camera, world.pool, NOW - 10 * DAY)
    other = make_segment(world.other_camera, world.pool, NOW - 10 * DAY)
    real_save = DestructionRecord.save

    def full(self, *args, **kwargs):
        if self.camera_id == world.camera.pk:
            raise OperationalError("could not extend file: No space left on device")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(DestructionRecord, "save", full)
    report = committed(services.run_retention, now=NOW)
    assert Segment.objects.unrestricted().filter(pk=blocked.pk).exists()
    assert file_of(blocked).is_file()
    assert not Segment.objects.unrestricted().filter(pk=other.pk).exists()
    assert len(report.errors) == 1 and "No space left" in report.errors[0]
    assert index_is_whole(world.pool)


def test_the_guard_checks_each_row_against_holds_read_under_the_lock(world):
    """The deleters pass the holds they read under the camera lock; the guard still
    refuses any row those holds cover, whatever the caller selected."""
    seg = make_segment(world.camera, world.pool, NOW - 10 * DAY)
    free = make_segment(world.camera, world.pool, NOW - 20 * DAY)
    with (
        as_system(),
        camera_holds_locked(world.camera.pk, [(seg.start, seg.start)]),
        pytest.raises(HeldFootageError),
        transaction.atomic(),
    ):
        Segment.objects.unrestricted().filter(pk__in=[seg.pk, free.pk]).delete()
    assert Segment.objects.unrestricted().filter(pk__in=[seg.pk, free.pk]).count() == 2
    with as_system(), camera_holds_locked(world.camera.pk, []):
        free.delete()
    assert not Segment.objects.unrestricted().filter(pk=free.pk).exists()


def test_retention_removes_what_playback_derived_from_the_footage(world, committed):
    """Thumbnails are images: they must not outlive the segment they came from."""
    from vigie.recording.tsindex import sidecar_path

    old = make_segment(world.camera, world.pool, NOW - 20 * DAY)
    path = file_of(old)
    sidecar_path(path).write_text("{}")
    thumbs = path.with_name(path.name + ".thumbs")
    thumbs.mkdir()
    (thumbs / "0.jpg").write_bytes(b"\xff\xd8")
    committed(services.run_retention, now=NOW)
    assert not path.exists() and not sidecar_path(path).exists() and not thumbs.exists()

"""Legal holds, retention, disk pressure and storage alarms: the only writers of these.

The decisions are pure (``retention.py``, ``pressure.py``); this module reads their
inputs from the database and the disk, applies them, and journals what it did.

Deleting footage, in this order, for each camera:

1. In one transaction: lock the camera row (``place_hold`` locks it too, so a hold
   placed meanwhile is seen), re-read its active holds, drop any segment they now
   cover, delete the index rows (``Segment``'s pre-delete guard refuses held footage
   once more), write one ``DestructionRecord`` and one journal entry.
2. After the commit (``transaction.on_commit``): unlink the files.

Why rows first: an index row must never point at a missing file (playback, exports
and hashes trust the index). If the transaction fails, nothing was unlinked and the
index is whole. If the process dies between commit and unlink, or an unlink fails, a
file is left without a row: an *orphan*. The recovery rule is the sweep that ends
every retention pass (``sweep_orphans``): files of days older than their camera's
retention with no index row and no active hold on them are removed.

A full disk never stops the loop: an ``OSError`` (ENOSPC…) or a database error while
deleting or writing the register is logged, reported, answered by the storage alarm
where it concerns a pool, and the pass carries on with the next camera.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.services import journal
from vigie.core import actors
from vigie.core.models import IsolationError, require_actor
from vigie.inventory.models import Camera, StoragePool
from vigie.recording import paths
from vigie.recording.holds import active_holds, hold_spans, place_hold, release_hold
from vigie.recording.models import (
    DestructionCause,
    DestructionRecord,
    HeldFootageError,
    MemberRecordingPolicy,
    Segment,
    camera_holds_locked,
)
from vigie.recording.pressure import DiskSpace, PressureDecision, bytes_needed, decide_pressure
from vigie.recording.retention import (
    RetentionError,
    SegmentSpan,
    decide_retention,
    holds_by_camera,
    is_held,
    retention_cutoff,
)
from vigie.recording.storage_alarms import (
    active_storage_alarms,
    clear_storage_alarm,
    pool_writable,
    raise_storage_alarm,
)
from vigie.recording.tsindex import remove_derived
from vigie.tenancy.models import Member

logger = logging.getLogger(__name__)

# Callers reach holds through the recording services like every other write.
__all__ = [
    "active_holds",
    "active_storage_alarms",
    "clear_storage_alarm",
    "hold_spans",
    "place_hold",
    "pool_writable",
    "raise_storage_alarm",
    "release_hold",
]

JOB_NAME = "job:retention"
# Segments read per query when looking for the oldest footage of a full pool.
PRESSURE_PAGE = 2000


def _job() -> actors.Actor:
    return actors.system(JOB_NAME)


# ------------------------------------------------------------------------ free space


def disk_usage(path: str) -> DiskSpace:
    """Size and free space (what an unprivileged writer may still use) under ``path``.

    A pool directory not created yet (the recorder makes it on its first write) is
    measured on the file system that will hold it: its nearest existing parent. The one
    place that measures a pool: tests replace it.
    """
    where = Path(path)
    while not where.exists() and where.parent != where:
        where = where.parent
    usage = shutil.disk_usage(where)
    return DiskSpace(total_bytes=usage.total, free_bytes=usage.free)


# ------------------------------------------------------------------------ segments


def _spans(segments: QuerySet[Segment]) -> list[SegmentSpan]:
    return [
        SegmentSpan(
            id=row["id"],
            camera_id=row["camera_id"],
            member_id=row["camera__member_id"],
            start=row["start"],
            end=row["end"],
            bytes=row["bytes"] or 0,
            closed=row["closed"],
        )
        for row in segments.values(
            "id", "camera_id", "camera__member_id", "start", "end", "bytes", "closed"
        )
    ]


def camera_segments(who: Any, camera: Camera) -> QuerySet[Segment]:
    """The index of one camera's footage, as far as ``who`` may see it."""
    return (
        Segment.objects.restrict(who, "view")
        .filter(camera=camera)
        .select_related("storage_pool")
        .order_by("start", "pk")
    )


def held_segment_ids(segments: Iterable[Segment]) -> set[int]:
    """Which of these segments an active hold keeps."""
    segs = list(segments)
    holds = hold_spans({s.camera_id for s in segs})
    return {
        s.pk
        for s in segs
        if is_held(
            SegmentSpan(id=s.pk, camera_id=s.camera_id, start=s.start, end=s.end, closed=s.closed),
            holds,
        )
    }


@dataclass
class Destruction:
    """What one deletion did (or would do) on one camera."""

    camera: int
    camera_name: str
    member: str
    cause: str
    segments: int = 0
    bytes: int = 0
    period_start: datetime | None = None
    period_end: datetime | None = None
    held: int = 0
    record: int | None = None
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _remove_derived(path: Path) -> None:
    """Thumbnails, keyframe indexes and masked copies are images or describe them: they
    go with the footage."""
    from vigie.recording.masks import remove_masked

    try:
        remove_derived(path)
        remove_masked(path)
    except OSError as exc:
        logger.error("could not delete what was derived from %s: %s", path, exc)


def _unlink_files(files: Sequence[Path]) -> None:
    """After the commit: remove the files whose rows are gone. A failure leaves an
    orphan for the next sweep; it never undoes the register."""
    for path in files:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            logger.error("could not delete %s (%s): the next retention pass sweeps it", path, exc)
            continue
        _remove_derived(path)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # the day's directory, once empty


def _destroy(
    camera: Camera,
    spans: Sequence[SegmentSpan],
    cause: str,
    reason: str,
    member_slug: str = "",
) -> Destruction:
    """Delete these segments of one camera (rows, register, journal; files after commit)."""
    actor = require_actor()
    done = Destruction(
        camera=camera.pk, camera_name=camera.name, member=member_slug, cause=str(cause)
    )
    if not spans:
        return done
    with transaction.atomic():
        list(Camera.objects.unrestricted().select_for_update().filter(pk=camera.pk).values("pk"))
        holds = hold_spans([camera.pk])  # read under the lock: a hold placed meanwhile counts
        wanted = [s.id for s in spans if not is_held(s, holds)]
        done.held = len(spans) - len(wanted)
        rows = list(
            Segment.objects.unrestricted()
            .select_related("storage_pool")
            .filter(pk__in=wanted, camera=camera, closed=True, end__isnull=False)
            .order_by("start", "pk")
        )
        if not rows:
            return done
        files = [paths.segment_file(r) for r in rows]
        with camera_holds_locked(camera.pk, [(h.start, h.end) for h in holds]):
            if actor.system:
                Segment.objects.unrestricted().filter(pk__in=[r.pk for r in rows]).delete()
            else:
                for row in rows:
                    row.delete()  # a person's reach is checked row by row
        done.segments = len(rows)
        done.bytes = sum(r.bytes or 0 for r in rows)
        done.period_start = rows[0].start
        done.period_end = max(r.end for r in rows if r.end is not None)
        record = DestructionRecord(
            member_id=camera.member_id,
            camera=camera,
            camera_name=camera.name,
            period_start=done.period_start,
            period_end=done.period_end,
            segment_count=done.segments,
            bytes=done.bytes,
            cause=cause,
        )
        # The register is the system's, whoever asked for the deletion.
        with actors.acting_as(actors.system("job:register")):
            record.save()
        done.record = record.pk
        journal(
            "recording.segments.destroy",
            objects=[record],
            member_id=camera.member_id,
            reason=reason,
            actor=actor,
            details={
                "cause": str(cause),
                "camera": camera.pk,
                "camera_name": camera.name,
                "segments": done.segments,
                "bytes": done.bytes,
                "from": done.period_start,
                "until": done.period_end,
                "first_id": rows[0].pk,
                "last_id": rows[-1].pk,
            },
        )
        transaction.on_commit(partial(_unlink_files, files), robust=True)
    return done


def delete_segments(segments: Iterable[Segment], reason: str) -> list[Destruction]:
    """A person's (or a script's) deletion of footage: refused as a whole if any of it
    is held or still being written, or outside the actor's ``delete`` reach."""
    actor = require_actor()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for deleting footage.")})
    segs = list(segments)
    ids = [s.pk for s in segs]
    if not actor.system:
        allowed = Segment.objects.restrict(actor, "delete").filter(pk__in=ids).count()
        if allowed != len(set(ids)):
            raise IsolationError(_("Some of this footage is outside your reach."))
    spans = _spans(Segment.objects.unrestricted().filter(pk__in=ids))
    if any(s.open for s in spans):
        raise ValidationError(_("Footage still being recorded cannot be deleted."))
    holds = hold_spans({s.camera_id for s in spans})
    if any(is_held(s, holds) for s in spans):
        raise HeldFootageError(
            _("Some of this footage is under a legal hold: it cannot be deleted until released.")
        )
    by_camera: dict[int, list[SegmentSpan]] = defaultdict(list)
    for span in spans:
        by_camera[span.camera_id].append(span)
    cameras = Camera.objects.unrestricted().select_related("member").in_bulk(list(by_camera))
    results = []
    with transaction.atomic():
        for camera_id, camera_spans in sorted(by_camera.items()):
            camera = cameras[camera_id]
            result = _destroy(
                camera, camera_spans, DestructionCause.USER, reason, camera.member.slug
            )
            if result.held:
                raise HeldFootageError(
                    _("Some of this footage came under a legal hold: nothing was deleted.")
                )
            results.append(result)
    return results


# ------------------------------------------------------------------------ retention


@dataclass
class RetentionReport:
    now: datetime
    dry_run: bool
    cameras: list[Destruction] = field(default_factory=list)
    orphans: int = 0
    orphan_bytes: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def segments(self) -> int:
        return sum(c.segments for c in self.cameras)

    @property
    def bytes(self) -> int:
        return sum(c.bytes for c in self.cameras)

    @property
    def held(self) -> int:
        return sum(c.held for c in self.cameras)

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "dry_run": self.dry_run,
            "segments": self.segments,
            "bytes": self.bytes,
            "held": self.held,
            "orphans": self.orphans,
            "orphan_bytes": self.orphan_bytes,
            "cameras": [c.as_dict() for c in self.cameras],
            "errors": self.errors,
        }


def _as_job(who_called: str) -> actors.Actor:
    """Jobs act as ``job:retention``; a person asking for one is refused (the report
    names every member's cameras)."""
    caller = actors.current()
    if caller is not None and not caller.system:
        raise IsolationError(f"{who_called} is a system job: run it as the CLI party or the job")
    return _job()


def run_retention(now: datetime | None = None, dry_run: bool = False) -> RetentionReport:
    """Destroy, camera by camera, the footage older than the camera's retention, except
    what an active legal hold keeps; then sweep orphan files."""
    job = _as_job("retention")
    now = now or timezone.now()
    report = RetentionReport(now=now, dry_run=dry_run)
    with actors.acting_as(job):
        # Every camera, one indexed query each (camera, start): cheaper than asking a
        # table of millions of segments which cameras have footage due.
        cameras = Camera.objects.unrestricted().select_related("member").order_by("pk")
        for camera in cameras:
            report.cameras.append(_retain_camera(camera, now, dry_run, report))
        report.cameras = [c for c in report.cameras if c.segments or c.held or c.error]
        for pool in StoragePool.objects.unrestricted().order_by("pk"):
            try:
                count, size = sweep_orphans(pool, now, dry_run)
            except (OSError, DatabaseError) as exc:
                logger.error("orphan sweep of pool %s failed: %s", pool.name, exc)
                report.errors.append(f"pool {pool.name}: {exc}")
                continue
            report.orphans += count
            report.orphan_bytes += size
    if not dry_run and (report.segments or report.orphans):
        logger.info(
            "retention: %d segment(s), %d byte(s) destroyed; %d kept under hold; %d orphan(s)",
            report.segments,
            report.bytes,
            report.held,
            report.orphans,
        )
    return report


def _retain_camera(
    camera: Camera, now: datetime, dry_run: bool, report: RetentionReport
) -> Destruction:
    result = Destruction(
        camera=camera.pk,
        camera_name=camera.name,
        member=camera.member.slug,
        cause=DestructionCause.RETENTION.value,
    )
    try:
        cutoff = retention_cutoff(now, camera.retention_days)
    except RetentionError as exc:
        # The database refuses such a period; if one slipped in, refuse it loudly.
        logger.error("camera %s: %s", camera.pk, exc)
        result.error = str(exc)
        report.errors.append(f"camera {camera.pk} {camera.name}: {exc}")
        return result
    try:
        # start <= end <= cutoff: the start bound lets the (camera, start) index answer.
        due = Segment.objects.unrestricted().filter(
            camera=camera, start__lte=cutoff, end__lte=cutoff
        )
        spans = _spans(due)
        decision = decide_retention(now, camera.retention_days, spans, hold_spans([camera.pk]))
        if dry_run:
            result.segments = len(decision.expired)
            result.bytes = decision.expired_bytes
            result.held = len(decision.held)
            if decision.expired:
                result.period_start = decision.expired[0].start
                result.period_end = max(s.end for s in decision.expired if s.end)
            return result
        done = _destroy(
            camera,
            decision.expired,
            DestructionCause.RETENTION,
            f"retention of {camera.retention_days} days",
            camera.member.slug,
        )
        done.held += len(decision.held)
        return done
    except (OSError, DatabaseError, HeldFootageError) as exc:
        logger.error("retention of camera %s (%s) failed: %s", camera.pk, camera.name, exc)
        result.error = str(exc)
        report.errors.append(f"camera {camera.pk} {camera.name}: {exc}")
        return result


def _parse_segment_name(name: str) -> datetime | None:
    try:
        return datetime.strptime(name, "%Y%m%dT%H%M%SZ.ts").replace(tzinfo=UTC)
    except ValueError:
        return None


def sweep_orphans(pool: StoragePool, now: datetime, dry_run: bool = False) -> tuple[int, int]:
    """Remove footage files with no index row, older than their camera's retention and
    free of holds (what a crash between commit and unlink leaves). Only whole days
    before the cutoff are looked at, so a file being written is never touched."""
    root = paths.pool_root(pool) / "segments"
    if not root.is_dir():
        return 0, 0
    count = size = 0
    per_camera: dict[int, tuple[int, int]] = {}
    camera_dirs = {int(d.name): d for d in root.iterdir() if d.name.isdigit() and d.is_dir()}
    cameras = Camera.objects.unrestricted().in_bulk(list(camera_dirs))
    all_holds = holds_by_camera(hold_spans(list(cameras)))
    for camera_id, camera_dir in sorted(camera_dirs.items()):
        camera = cameras.get(camera_id)
        if camera is None:
            continue  # not ours to judge
        try:
            cutoff = retention_cutoff(now, camera.retention_days)
        except RetentionError:
            continue
        holds = all_holds.get(camera.pk, [])
        for day_dir in sorted(camera_dir.iterdir()):
            try:
                day = datetime.strptime(day_dir.name, "%Y-%m-%d").date()
            except ValueError:
                continue
            if not day_dir.is_dir() or day >= cutoff.date():
                continue
            files = sorted(day_dir.glob("*.ts"))
            rels = {f: f.relative_to(paths.pool_root(pool)).as_posix() for f in files}
            indexed = set(
                Segment.objects.unrestricted()
                .filter(storage_pool=pool, path__in=list(rels.values()))
                .values_list("path", flat=True)
            )
            for file in files:
                if rels[file] in indexed:
                    continue
                start = _parse_segment_name(file.name)
                if start is None:
                    continue
                stat = file.stat()
                end = max(start, datetime.fromtimestamp(stat.st_mtime, tz=UTC))
                span = SegmentSpan(id=0, camera_id=camera.pk, start=start, end=end)
                if end > cutoff or is_held(span, holds):
                    continue
                if not dry_run:
                    try:
                        file.unlink()
                    except OSError as exc:
                        logger.error("could not delete orphan %s: %s", file, exc)
                        continue
                    _remove_derived(file)
                count += 1
                size += stat.st_size
                n, b = per_camera.get(camera.pk, (0, 0))
                per_camera[camera.pk] = (n + 1, b + stat.st_size)
            if not dry_run:
                with contextlib.suppress(OSError):
                    day_dir.rmdir()  # once empty
    if count and not dry_run:
        logger.warning("pool %s: %d orphan file(s) without index removed", pool.name, count)
        journal(
            "recording.orphans.destroy",
            objects=[pool],
            member_id=pool.member_id,
            reason="footage files without index row, past their camera's retention",
            details={"files": count, "bytes": size, "cameras": per_camera},
        )
    return count, size


# ------------------------------------------------------------------------ disk pressure


@dataclass
class PressureReport:
    pool: str
    dry_run: bool
    total_bytes: int | None = None
    free_bytes: int | None = None
    min_free_percent: int = 0
    needed_bytes: int = 0
    shortfall_bytes: int = 0
    cameras: list[Destruction] = field(default_factory=list)
    protected_held: int = 0
    protected_young: int = 0
    alarm: str = ""  # "raised", "active", "cleared" or ""
    writable: bool = True
    error: str = ""

    @property
    def segments(self) -> int:
        return sum(c.segments for c in self.cameras)

    @property
    def bytes(self) -> int:
        return sum(c.bytes for c in self.cameras)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cameras"] = [c.as_dict() for c in self.cameras]
        data["segments"] = self.segments
        data["bytes"] = self.bytes
        return data


def member_min_days() -> dict[int, int]:
    """Each member's minimum days kept on a full disk (members without a policy: 0)."""
    return dict(
        MemberRecordingPolicy.objects.unrestricted().values_list("member_id", "min_days_kept")
    )


def set_recording_policy(member: Member, min_days_kept: int) -> MemberRecordingPolicy:
    """Set a member's minimum days kept when its pool is full (journaled by save)."""
    require_actor()
    policy = MemberRecordingPolicy.objects.unrestricted().filter(member=member).first()
    policy = policy or MemberRecordingPolicy(member=member)
    policy.min_days_kept = min_days_kept
    policy.save()
    return policy


def _pressure_decision(pool: StoragePool, now: datetime, space: DiskSpace) -> PressureDecision:
    """The pure decision, fed the pool's oldest footage page by page until enough may
    go (a pool holds millions of segments; the oldest few thousand usually suffice)."""
    minimums = member_min_days()
    # Footage starting after ``floor`` is younger than every member's minimum.
    everyone_has_one = not Member.objects.unrestricted().filter(recording_policy=None).exists()
    floor = now - timedelta(days=min(minimums.values()) if everyone_has_one and minimums else 0)
    needed = bytes_needed(space, pool.min_free_percent)
    chosen: list[SegmentSpan] = []
    freed = young = held = 0
    candidates = (
        Segment.objects.unrestricted()
        .filter(storage_pool=pool, closed=True, end__isnull=False)
        .order_by("start", "pk")
    )
    holds = hold_spans()  # the active holds are few; the pool's cameras may be many
    last: tuple[datetime, int] | None = None
    while freed < needed:
        page = candidates
        if last is not None:
            page = page.filter(start__gte=last[0]).exclude(start=last[0], pk__lte=last[1])
        spans = _spans(page[:PRESSURE_PAGE])
        if not spans:
            break
        last = (spans[-1].start, spans[-1].id)
        # What remains to free, as if the pool already had what earlier pages freed.
        partial_space = DiskSpace(space.total_bytes, space.free_bytes + freed)
        decision = decide_pressure(
            now, partial_space, pool.min_free_percent, spans, holds, minimums
        )
        chosen.extend(decision.chosen)
        freed += decision.freed_bytes
        young += decision.protected_young
        held += decision.protected_held
        if spans[-1].start > floor:
            break  # everything later is younger than every member's minimum
    return PressureDecision(
        needed_bytes=needed,
        chosen=tuple(chosen),
        freed_bytes=freed,
        protected_young=young,
        protected_held=held,
    )


def relieve_disk_pressure(
    pool: StoragePool, now: datetime | None = None, dry_run: bool = False
) -> PressureReport:
    """Free space on a pool below its ``min_free_percent``: oldest unheld footage first,
    never held footage nor footage younger than its member's minimum. If that is not
    enough, raise the pool's critical alarm (once) and stop recording there
    (``pool_writable`` turns False); clear it when space is back."""
    job = _as_job("disk pressure relief")
    now = now or timezone.now()
    report = PressureReport(pool=pool.name, dry_run=dry_run, min_free_percent=pool.min_free_percent)
    with actors.acting_as(job):
        try:
            space = disk_usage(pool.path)
        except OSError as exc:
            report.error = f"cannot measure {pool.path}: {exc}"
            logger.error("pool %s: %s", pool.name, report.error)
            if not dry_run:
                _alarm(
                    pool,
                    report,
                    _("Storage pool %(pool)s unreadable: %(error)s.")
                    % {
                        "pool": pool.name,
                        "error": exc,
                    },
                )
            return report
        report.total_bytes, report.free_bytes = space.total_bytes, space.free_bytes
        try:
            decision = _pressure_decision(pool, now, space)
        except DatabaseError as exc:
            report.error = f"cannot read the index: {exc}"
            logger.error("pool %s: %s", pool.name, report.error)
            return report
        report.needed_bytes = decision.needed_bytes
        report.protected_held = decision.protected_held
        report.protected_young = decision.protected_young
        report.shortfall_bytes = decision.shortfall_bytes
        if dry_run:
            report.cameras = _planned(decision.chosen)
            report.writable = pool_writable(pool)
            return report
        freed = 0
        by_camera: dict[int, list[SegmentSpan]] = defaultdict(list)
        for span in decision.chosen:
            by_camera[span.camera_id].append(span)
        cameras = Camera.objects.unrestricted().select_related("member").in_bulk(list(by_camera))
        for camera_id, spans in sorted(by_camera.items()):
            camera = cameras[camera_id]
            try:
                done = _destroy(
                    camera,
                    spans,
                    DestructionCause.DISK_PRESSURE,
                    f"storage pool {pool.name} below {pool.min_free_percent}% free",
                    camera.member.slug,
                )
            except (OSError, DatabaseError, HeldFootageError) as exc:
                logger.error("pool %s, camera %s: deletion failed: %s", pool.name, camera_id, exc)
                done = Destruction(
                    camera=camera_id,
                    camera_name=camera.name,
                    member=camera.member.slug,
                    cause=DestructionCause.DISK_PRESSURE.value,
                    error=str(exc),
                )
            report.cameras.append(done)
            freed += done.bytes
        report.shortfall_bytes = max(0, decision.needed_bytes - freed)
        if report.shortfall_bytes:
            message = _(
                "Storage pool %(pool)s is full: %(free)s bytes free of %(total)s, "
                "%(percent)s%% required; %(missing)s bytes cannot be freed (held "
                "segments: %(held)s, younger than the members' minimum: %(young)s). "
                "Recording on this pool is stopped."
            ) % {
                "pool": pool.name,
                "free": space.free_bytes,
                "total": space.total_bytes,
                "percent": pool.min_free_percent,
                "missing": report.shortfall_bytes,
                "held": decision.protected_held,
                "young": decision.protected_young,
            }
            _alarm(pool, report, message)
        else:
            cleared = clear_storage_alarm(pool, "free space back above the threshold")
            report.alarm = "cleared" if cleared else ""
            report.writable = pool_writable(pool)
    return report


def _planned(chosen: Sequence[SegmentSpan]) -> list[Destruction]:
    by_camera: dict[int, list[SegmentSpan]] = defaultdict(list)
    for span in chosen:
        by_camera[span.camera_id].append(span)
    cameras = Camera.objects.unrestricted().select_related("member").in_bulk(list(by_camera))
    planned = []
    for camera_id, spans in sorted(by_camera.items()):
        camera = cameras[camera_id]
        planned.append(
            Destruction(
                camera=camera_id,
                camera_name=camera.name,
                member=camera.member.slug,
                cause=DestructionCause.DISK_PRESSURE.value,
                segments=len(spans),
                bytes=sum(s.bytes for s in spans),
                period_start=spans[0].start,
                period_end=max(s.end for s in spans if s.end),
            )
        )
    return planned


def _alarm(pool: StoragePool, report: PressureReport, message: str) -> None:
    _, created = raise_storage_alarm(pool, message)
    report.alarm = "raised" if created else "active"
    report.writable = False


# ------------------------------------------------------------------------ the whole pass


@dataclass
class CleanupReport:
    retention: RetentionReport
    pressure: list[PressureReport]

    def as_dict(self) -> dict[str, Any]:
        return {
            "retention": self.retention.as_dict(),
            "pressure": [p.as_dict() for p in self.pressure],
        }


def run_cleanup_pass(now: datetime | None = None, dry_run: bool = False) -> CleanupReport:
    """Retention for every camera, then disk pressure for every enabled pool."""
    _as_job("cleanup")
    now = now or timezone.now()
    retention = run_retention(now=now, dry_run=dry_run)
    pressure = [
        relieve_disk_pressure(pool, now=now, dry_run=dry_run)
        for pool in StoragePool.objects.unrestricted().filter(enabled=True).order_by("pk")
    ]
    return CleanupReport(retention=retention, pressure=pressure)

"""The recorder service: one process supervising one ingest per camera.

An ingest is a camera on the shared RTP I/O thread (``rtp``, the default), a PyAV
thread (``avingest``, ``--ingest pyav``) or an FFmpeg child (``ingest``, ``--ingest
ffmpeg``); all write the same files and answer the same calls.
One loop (the thread that calls ``Recorder.run``) does every decision and every database
write, a tick at a time: it re-reads the inventory every ``inventory_every_s``, and on
each tick looks at each camera's ingest (ended or not, newest file, bytes written).
Ingest threads only read their camera and write their files. What to do is decided by
the pure functions of ``supervision``; rows are written by ``index``.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.db import close_old_connections, connections

from vigie.core import actors
from vigie.inventory.models import Authorisation, Camera, RecorderNode, StoragePool, in_force
from vigie.recording import index, storage_alarms, supervision
from vigie.recording.avingest import AvEngine, AvIngest, AvOptions
from vigie.recording.ingest import (
    FfmpegEngine,
    FfmpegProcess,
    IngestSpec,
    InputArgs,
    clear_live,
    prepare_dirs,
)
from vigie.recording.models import GapCause, IngestState, Segment
from vigie.recording.rtp.engine import RtpEngine, RtpIngest

log = logging.getLogger("vigie.recorder")

STATE_WRITE_EVERY_S = 30.0
MIN_FREE_BYTES = 64 * 1024 * 1024


def default_pool_writable(pool: StoragePool) -> bool:
    """Writable when the storage service allows it (pool enabled, no storage alarm) and
    the directory can be made and keeps a small margin free: FFmpeg must never meet
    ENOSPC first."""
    if not storage_alarms.pool_writable(pool):
        return False
    try:
        Path(pool.path).mkdir(parents=True, exist_ok=True)
        st = os.statvfs(pool.path)
    except OSError:
        return False
    return os.access(pool.path, os.W_OK) and st.f_bavail * st.f_frsize >= MIN_FREE_BYTES


@dataclass(frozen=True)
class Target:
    """What the inventory says about one camera of this node, now."""

    camera_id: int
    name: str
    url: str
    pool: StoragePool | None
    verdict: supervision.Verdict


def wall(ts: float | None = None) -> datetime:
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC)


class CameraRunner:
    """Supervises one camera's ingest; driven by ``tick`` from the recorder's loop."""

    def __init__(self, recorder: Recorder, target: Target) -> None:
        self.rec = recorder
        self.policy = recorder.policy
        self.target = target
        self.proc: FfmpegProcess | AvIngest | RtpIngest | None = None
        self.spec: IngestSpec | None = None
        self.current: Segment | None = None
        self.current_size = 0
        self.current_abs: Path | None = None
        self.dir_mtimes: dict[str, int] = {}
        self.got_data = False
        self.media: index.Media | None = None
        self.failures = 0
        self.restarts: collections.deque[float] = collections.deque(maxlen=50)
        self.next_start: float | None = None
        self.last_progress = 0.0
        self.last_data_wall: datetime | None = None
        self.last_state_write = 0.0
        self.attempts = 0
        self.floor_name = ""
        self.last_start: datetime | None = None

    @property
    def camera_id(self) -> int:
        return self.target.camera_id

    # ------------------------------------------------------------ inventory changes

    def update(self, target: Target, now: float) -> None:
        old, self.target = self.target, target
        verdict = target.verdict
        if not verdict.record:
            if self.proc is not None or self.next_start is not None:
                self.halt(verdict.cause or GapCause.DISABLED, verdict.state, verdict.detail)
            else:
                index.set_state(self.camera_id, self.rec.node.pk, verdict.state, verdict.detail)
            return
        if self.proc is not None and self.spec is not None:
            # An ingest runs for days: tomorrow's directory must exist before midnight.
            tomorrow = datetime.now(UTC).date() + timedelta(1)
            (self.spec.segment_root / f"{tomorrow:%Y-%m-%d}").mkdir(parents=True, exist_ok=True)
        moved = old.url != target.url or _pool_id(old.pool) != _pool_id(target.pool)
        if self.proc is not None and moved:
            log.info("camera %s: stream URL or pool changed, restarting", self.camera_id)
            self._terminate()
            self.next_start = now
        elif self.proc is None and self.next_start is None:
            self.next_start = now  # newly eligible: start at once

    # ------------------------------------------------------------ the tick

    def tick(self, now: float) -> None:
        if self.proc is None:
            if self.next_start is not None and now >= self.next_start:
                self._start(now)
            return
        self._scan(now)
        code = self.proc.poll()
        if code is not None:
            self._ended(code, now, watchdog=False)
        elif supervision.watchdog_expired(self.last_progress, now, self.policy):
            log.warning("camera %s: no new bytes for %ss, killing", self.camera_id, self._idle(now))
            self._ended(self.proc.kill(), now, watchdog=True)
        elif self.got_data and now - self.last_state_write >= STATE_WRITE_EVERY_S:
            self._write_state(IngestState.RECORDING, "", now)

    def _idle(self, now: float) -> int:
        return round(now - self.last_progress)

    def _start(self, now: float) -> None:
        pool = self.target.pool
        assert pool is not None
        if self._same_second_as_last_file():
            self.next_start = now + 1.0  # a new file would take the last one's name
            return
        self.spec = IngestSpec(
            camera_id=self.camera_id,
            url=self.target.url,
            pool_path=pool.path,
            segment_time_s=self.policy.segment_time_s,
            offset_s=supervision.stagger_offset(self.camera_id, self.policy.segment_time_s),
            live=self.rec.live,
        )
        today = datetime.now(UTC).date()
        # Before the child exists: its first file is named at or after this second.
        self.floor_name = f"{wall():%Y%m%dT%H%M%SZ}.ts"
        try:
            prepare_dirs(self.spec, [f"{d:%Y-%m-%d}" for d in (today, today + timedelta(1))])
            self.proc = self.rec.engine.start(self.spec)
        except OSError as exc:
            self._failed_to_start(str(exc), now)
            return
        self.attempts += 1
        self.next_start = None
        self.got_data, self.media = False, None
        self.current, self.current_abs, self.current_size = None, None, 0
        self.dir_mtimes.clear()
        self.last_progress = now
        log.info("camera %s: ingest started (pid %s)", self.camera_id, self.proc.pid)
        if self.attempts == 1:
            self._write_state(IngestState.RECONNECTING, "connecting", now)

    def _failed_to_start(self, why: str, now: float) -> None:
        log.error("camera %s: cannot start the ingest: %s", self.camera_id, why)
        index.open_gap(self.camera_id, self.last_data_wall or wall(), GapCause.DISK_FULL, why)
        self._write_state(IngestState.DISK_FULL, why, now)
        self.failures += 1
        self.next_start = now + supervision.backoff_delay(self.failures, self.policy)

    def _same_second_as_last_file(self) -> bool:
        last = self.last_start
        return last is not None and int(time.time()) <= int(last.timestamp())

    # ------------------------------------------------------------ files

    def _scan(self, now: float) -> None:
        for rel, start, path in self._new_files():
            if self.current is not None:
                self._close_current()
            pool = self.target.pool
            assert pool is not None
            known = self.proc.media_of(path.name) if self.proc is not None else None
            self.media = known or self.media  # PyAV knows each file's; FFmpeg: ffprobe
            self.current = index.open_segment(self.camera_id, pool, rel, start, self.media)
            self.current_abs, self.current_size = path, 0
            self.last_start = start
        if self.current_abs is None:
            return
        try:
            st = self.current_abs.stat()
        except FileNotFoundError:
            return
        if st.st_size > self.current_size:
            self.current_size = st.st_size
            self.last_progress = now
            self.last_data_wall = wall(st.st_mtime)
            if not self.got_data:
                self._data_flows(now)

    def _new_files(self) -> list[tuple[str, datetime, Path]]:
        """Segment files newer than the current one. A directory is listed only when
        its mtime changed (a file was created): a stat per tick, not a listing."""
        assert self.spec is not None
        root = self.spec.segment_root
        days = {f"{datetime.now(UTC):%Y-%m-%d}"}
        if self.current is not None:
            days.add(f"{self.current.start:%Y-%m-%d}")
        newest = Path(self.current.path).name if self.current is not None else ""
        found = []
        for day in sorted(days):
            folder = root / day
            try:
                mtime = folder.stat().st_mtime_ns
            except FileNotFoundError:
                continue
            if self.dir_mtimes.get(day) == mtime:
                continue
            self.dir_mtimes[day] = mtime
            for entry in os.scandir(folder):
                start = index.parse_segment_start(entry.name)
                # Older files (earlier connections, the recovery scan) are not ours.
                if start is not None and entry.name > newest and entry.name >= self.floor_name:
                    found.append((f"segments/{self.camera_id}/{day}/{entry.name}", start))
        found.sort()
        return [(rel, start, Path(self.spec.pool_path) / rel) for rel, start in found]

    def _close_current(self) -> None:
        seg, self.current, self.current_abs = self.current, None, None
        if seg is None:
            return
        frames = self.proc.frames_of(Path(seg.path).name) if self.proc is not None else None
        media = index.close_segment(seg, want_media=self.media is None, frames=frames)
        if media is not None and self.media is None:
            self.media = media  # probed once per connection, copied onto the next rows

    def _data_flows(self, now: float) -> None:
        self.got_data = True
        assert self.current is not None
        index.close_gap(self.camera_id, self.current.start)
        log.info("camera %s: recording", self.camera_id)
        self._write_state(IngestState.RECORDING, "", now)

    # ------------------------------------------------------------ ends and stops

    def _ended(self, code: int, now: float, *, watchdog: bool) -> None:
        assert self.proc is not None
        proc = self.proc
        proc.wait()
        self._scan(now)
        self._close_current()
        self.proc = None
        verdict = supervision.classify_end(
            code, proc.error_lines(), got_data=self.got_data, watchdog=watchdog
        )
        log.warning(
            "camera %s: ingest ended (code %s, %s): %s",
            self.camera_id,
            code,
            verdict.cause,
            verdict.detail,
        )
        index.open_gap(self.camera_id, self.last_data_wall or wall(), verdict.cause, verdict.detail)
        if self.got_data:
            self.failures = 0
            self.restarts.append(now)
        else:
            self.failures += 1
        delay = supervision.backoff_delay(self.failures, self.policy)
        wait = supervision.restart_wait(self.restarts, now + delay, self.policy)
        detail = verdict.detail + ("; restart limit reached, waiting" if wait else "")
        self.next_start = now + delay + wait
        self._write_state(verdict.state, detail, now, restarted=True)

    def _terminate(self) -> None:
        """Stop the child cleanly and index what it wrote."""
        if self.proc is None:
            return
        self.proc.stop()
        self._scan(time.monotonic())
        self._close_current()
        self.proc = None

    def halt(self, cause: str, state: str, detail: str) -> None:
        """Stop recording this camera on purpose (authorisation over, disabled, shutdown)."""
        was_running = self.proc is not None
        self._terminate()
        self.next_start = None
        if self.spec is not None:
            clear_live(self.spec)
        if was_running or self.got_data:
            index.open_gap(self.camera_id, self.last_data_wall or wall(), cause, detail)
        self.got_data = False
        self._write_state(state, detail, time.monotonic())

    def signal_stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def abandon(self) -> None:
        """What kill -9 of the recorder does to this camera: the child dies, nothing
        is written (tests use it to exercise the recovery scan)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc = None

    def _write_state(self, state: str, detail: str, now: float, restarted: bool = False) -> None:
        self.last_state_write = now
        index.set_state(
            self.camera_id,
            self.rec.node.pk,
            state,
            detail,
            last_data_at=self.last_data_wall,
            restarted=restarted,
        )


def _pool_id(pool: StoragePool | None) -> int | None:
    return pool.pk if pool is not None else None


class Recorder:
    """Records the cameras of one recorder node until ``stop`` is set."""

    def __init__(
        self,
        node: RecorderNode,
        policy: supervision.Policy | None = None,
        *,
        engine: RtpEngine | AvEngine | FfmpegEngine | None = None,
        input_args: InputArgs | None = None,
        pool_writable: Callable[[StoragePool], bool] = default_pool_writable,
        live: bool = True,
    ) -> None:
        """``input_args`` (tests) selects the FFmpeg engine with those input options."""
        self.node = node
        self.policy = policy or supervision.Policy()
        if engine is None:
            engine = (
                FfmpegEngine(input_args)
                if input_args is not None
                else RtpEngine(AvOptions.for_policy(self.policy))
            )
        self.engine = engine
        self.pool_writable = pool_writable
        self.live = live
        self.runners: dict[int, CameraRunner] = {}
        self.recovery: index.Recovery | None = None

    def run(self, stop: threading.Event, crash: threading.Event | None = None) -> None:
        """The loop. ``crash`` (tests) leaves as kill -9 would: children killed,
        nothing closed."""
        with actors.acting_as(actors.system(index.ACTOR)):
            try:
                self._loop(stop, crash)
            finally:
                if crash is not None and crash.is_set():
                    for runner in self.runners.values():
                        runner.abandon()
                else:
                    self.shutdown()
                connections.close_all()

    def _loop(self, stop: threading.Event, crash: threading.Event | None) -> None:
        self.recovery = index.recover(self.node_pools())
        log.info("recovery scan: %s", self.recovery)
        next_inventory = 0.0
        while not stop.is_set() and not (crash is not None and crash.is_set()):
            now = time.monotonic()
            if now >= next_inventory:
                next_inventory = now + self.policy.inventory_every_s
                self._guarded(None, partial(self.refresh, now))
            for runner in list(self.runners.values()):
                self._guarded(runner.camera_id, partial(runner.tick, time.monotonic()))
            stop.wait(self.policy.tick_s)

    def _guarded(self, camera_id: int | None, step: Callable[[], None]) -> None:
        """One camera's failure (or a database hiccup) never stops the others."""
        try:
            step()
        except Exception:
            log.exception("camera %s: supervision step failed", camera_id)
            close_old_connections()
            for conn in connections.all():
                conn.close_if_unusable_or_obsolete()

    def node_pools(self) -> list[StoragePool]:
        return list(StoragePool.objects.unrestricted().filter(node=self.node).order_by("name"))

    def refresh(self, now: float) -> None:
        self.node.refresh_from_db()
        targets = self.load_targets()
        for camera_id in set(self.runners) - set(targets):
            runner = self.runners.pop(camera_id)
            runner.halt(GapCause.DISABLED, IngestState.STOPPED, "not assigned to this node")
        for camera_id, target in targets.items():
            if camera_id not in self.runners:
                self.runners[camera_id] = CameraRunner(self, target)
            self._guarded(camera_id, partial(self.runners[camera_id].update, target, now))

    def load_targets(self) -> dict[int, Target]:
        enabled_nodes = RecorderNode.objects.unrestricted().filter(enabled=True).count()
        cameras = [
            c
            for c in Camera.objects.unrestricted().select_related("storage_pool")
            if supervision.records_camera(c.recorder_node_id, self.node.pk, enabled_nodes)
        ]
        authorised = set(
            Authorisation.objects.unrestricted()
            .filter(in_force(), cameras__in=cameras)
            .values_list("cameras", flat=True)
        )
        pools = [p for p in self.node_pools() if p.enabled]
        writable = {p.pk: self.pool_writable(p) for p in pools}
        targets = {}
        for cam in cameras:
            pool = _pool_for(cam, pools)
            facts = supervision.CameraFacts(
                enabled=cam.enabled and self.node.enabled,
                authorised=cam.pk in authorised,
                has_url=bool(cam.rtsp_main),
                has_pool=pool is not None,
                pool_writable=pool is not None and writable[pool.pk],
            )
            verdict = supervision.eligibility(facts)
            targets[cam.pk] = Target(cam.pk, cam.name, cam.rtsp_main, pool, verdict)
        return targets

    def shutdown(self) -> None:
        """SIGTERM every child at once, then index what each wrote and open the gaps."""
        for runner in self.runners.values():
            runner.signal_stop()
        for runner in self.runners.values():
            halt = partial(
                runner.halt, GapCause.RECORDER_DOWN, IngestState.STOPPED, "recorder stopped"
            )
            self._guarded(runner.camera_id, halt)
        log.info("recorder stopped")


def _pool_for(camera: Camera, pools: list[StoragePool]) -> StoragePool | None:
    """The camera's own pool when it is an enabled pool of this node, else the first."""
    for pool in pools:
        if pool.pk == camera.storage_pool_id:
            return pool
    return pools[0] if pools else None


def resolve_node(name: str | None) -> RecorderNode:
    """``--node NAME``; without it the only node, or the one named after this host."""
    nodes = RecorderNode.objects.unrestricted()
    if name:
        node = nodes.filter(name=name).first()
        if node is None:
            raise LookupError(f"no recorder node named {name!r}")
        return node
    if nodes.count() == 1:
        node = nodes.first()
        assert node is not None
        return node
    host = os.uname().nodename
    node = nodes.filter(hostname=host).first() or nodes.filter(name=host).first()
    if node is None:
        raise LookupError("several recorder nodes are declared: give --node NAME")
    return node


def run_in_thread(recorder: Recorder) -> tuple[threading.Thread, threading.Event, Any]:
    """Start a recorder in a thread (tests, the benchmark); returns (thread, stop, crash)."""
    stop, crash = threading.Event(), threading.Event()
    thread = threading.Thread(target=recorder.run, args=(stop, crash), daemon=True)
    thread.start()
    return thread, stop, crash

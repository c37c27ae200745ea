"""Masked renditions of a camera's footage, and who may lift a mask.

A camera with an enabled ``PrivacyMask`` is never shown unmasked:

- playback serves each segment as a masked copy made on demand by
  ``masking.transcode_masked`` and cached under ``DATA_DIR/masked-cache/<camera>/``
  (one transcode per segment and mask, shared through a lock file by every request
  and every web worker). The cache is derived footage: it is removed with its segment
  (``remove_masked``, called by the deleters), expires after ``CACHE_MAX_AGE`` and is
  capped to ``cache_limit()`` bytes, oldest first;
- thumbnails are decoded, masked and encoded as JPEG, cached the same way;
- live goes through the masked live encoder (``masks_live``).

Lifting (playback only) needs the ``lift_mask`` right on the camera, a member whose
recording policy allows it, and a reason; it is journaled (``recording.mask_lifted``).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings

from vigie.recording import masking, tsindex
from vigie.recording.paths import segment_file

logger = logging.getLogger(__name__)

CACHE_DIR = "masked-cache"
# Masked copies serve a viewing session (a reason token lives 2 hours): older ones
# are swept, so that none outlives the footage by more than this.
CACHE_MAX_AGE = timedelta(hours=2)
DEFAULT_CACHE_BYTES = 2 * 1024**3
LOCK_WAIT_SECONDS = 120
# The player waits for the first masked segment: speed first (see bench/masking.py).
PLAYBACK_PRESET = "superfast"


def cache_limit() -> int:
    return int(getattr(settings, "VIGIE_MASKED_CACHE_BYTES", DEFAULT_CACHE_BYTES))


def cache_root() -> Path:
    return Path(settings.DATA_DIR) / CACHE_DIR


def camera_cache(camera_id: int) -> Path:
    return cache_root() / str(int(camera_id))


def _stem(path: Path) -> str:
    """What names a segment in the cache: its file name's stem (the UTC start), unique
    per camera; derived from the path alone so that a deleter holding only the path
    can remove its masked copies."""
    return path.stem


def cached_segment_path(camera_id: int, path: Path, key: str) -> Path:
    return camera_cache(camera_id) / f"{_stem(path)}-{key}.ts"


def is_masked(camera: Any) -> bool:
    return bool(masking.polygons_for(camera))


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """An exclusive lock shared by every process (flock on ``path``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"lock {path.name} held too long") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- segments


def masked_segment(segment: Any, polygons: masking.Polygons) -> Path:
    """The masked copy of a segment (made now if needed; concurrent callers for the
    same segment wait for one transcode). Timestamps are kept, so consecutive masked
    segments play on as the raw ones do."""
    source = segment_file(segment)
    target = cached_segment_path(segment.camera_id, source, masking.mask_key(polygons))
    if target.is_file():
        os.utime(target)  # recently used: the cap removes the least recent first
        return target
    _make(source, target, polygons, cache_limit())
    return target


def _make(source: Path, target: Path, polygons: masking.Polygons, limit: int) -> None:
    lock = target.with_name(target.name + ".lock")
    with file_lock(lock):
        if not target.is_file():
            partial = target.with_name(f".{target.stem}.part.ts")
            masking.transcode_masked(
                [source], partial, polygons, keep_timestamps=True, preset=PLAYBACK_PRESET
            )
            os.replace(partial, target)
            prune(target.parent.parent, limit, keep=target)
    lock.unlink(missing_ok=True)


def prefetch(segment: Any, polygons: masking.Polygons) -> None:
    """Make the masked copy of ``segment`` in the background (the one the player asks
    for next), so that continuous playback does not wait at each segment. The thread
    only reads and writes files: every path and setting is read here."""
    source = segment_file(segment)
    target = cached_segment_path(segment.camera_id, source, masking.mask_key(polygons))
    if target.is_file():
        return
    limit = cache_limit()

    def run() -> None:
        try:
            _make(source, target, polygons, limit)
        except (OSError, ValueError, TimeoutError, RuntimeError) as exc:
            logger.warning("prefetch of a masked segment failed: %s", exc)

    threading.Thread(target=run, name="vigie-mask-prefetch", daemon=True).start()


def masked_thumbnail(segment: Any, at: datetime, polygons: masking.Polygons) -> bytes:
    """A masked JPEG of the keyframe at or before ``at`` (cached in the masked cache)."""
    source = segment_file(segment)
    index = tsindex.load_index(source)
    offset = (at - segment.start).total_seconds()
    keyframes = index.keyframes or [tsindex.Keyframe(0, 0.0)]
    number = max((i for i, k in enumerate(keyframes) if k.pts <= offset), default=0)
    key = masking.mask_key(polygons)
    cached = camera_cache(segment.camera_id) / f"{_stem(source)}-{key}.thumbs" / f"{number}.jpg"
    if cached.is_file():
        return cached.read_bytes()
    data = masking.masked_jpeg(source, keyframes[number].pts, polygons)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f".{cached.name}.tmp")
    partial.write_bytes(data)
    partial.replace(cached)
    return data


def remove_masked(path: Path) -> None:
    """Delete every masked copy (and masked thumbnail) of a segment file: deleters
    call this with the segment's path, like ``tsindex.remove_derived``."""
    try:
        camera_id = int(path.parent.parent.name)
    except ValueError:
        return
    folder = camera_cache(camera_id)
    if not folder.is_dir():
        return
    for entry in folder.glob(f"{_stem(path)}-*"):
        _remove(entry)
    expire(folder)


def _remove(entry: Path) -> None:
    if entry.is_dir():
        for child in entry.iterdir():
            child.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            entry.rmdir()
    else:
        entry.unlink(missing_ok=True)


def expire(folder: Path, now: float | None = None) -> None:
    """Remove the entries of a camera's cache older than ``CACHE_MAX_AGE``."""
    limit = (now or time.time()) - CACHE_MAX_AGE.total_seconds()
    for entry in folder.iterdir():
        with contextlib.suppress(FileNotFoundError):
            if entry.stat().st_mtime < limit and not entry.name.endswith(".lock"):
                _remove(entry)


def prune(root: Path | None = None, limit: int | None = None, keep: Path | None = None) -> None:
    """Keep the whole cache under ``limit`` bytes (``cache_limit()``): expired entries
    first, then the least recently used."""
    root = root or cache_root()
    limit = cache_limit() if limit is None else limit
    if not root.is_dir():
        return
    entries: list[tuple[float, int, Path]] = []
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        expire(folder)
        for entry in folder.iterdir():
            if entry.suffix != ".ts" or entry.name.startswith("."):
                continue
            with contextlib.suppress(FileNotFoundError):
                stat = entry.stat()
                entries.append((stat.st_mtime, stat.st_size, entry))
    total = sum(size for _mtime, size, _entry in entries)
    for _mtime, size, entry in sorted(entries):
        if total <= limit:
            break
        if entry != keep:
            entry.unlink(missing_ok=True)
            total -= size


# --------------------------------------------------------------------------- lifting


def lifting_allowed_by_member(member_id: int) -> bool:
    from vigie.recording.models import MemberRecordingPolicy

    return bool(
        MemberRecordingPolicy.objects.unrestricted()
        .filter(member_id=member_id, masks_may_be_lifted=True)
        .exists()
    )


def may_lift(user: Any, camera: Any) -> bool:
    """Whether this person may see this camera's masked areas now (playback only)."""
    from vigie.inventory.models import Camera

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not lifting_allowed_by_member(camera.member_id):
        return False
    reach = Camera.objects.restrict(user, "lift_mask").filter(pk=camera.pk)
    return (
        reach.exists()
        and Camera.objects.restrict(user, "view_playback").filter(pk=camera.pk).exists()
    )


LIFT_SALT = "vigie.recording.lift_mask"


def issue_lift_token(user_id: int, camera_id: int, reason: str) -> str:
    """A token saying this person asked, with this reason, to see the masked areas;
    checked with the rights again on every request (``read_lift_token``)."""
    import secrets

    from django.core import signing

    payload = {"u": user_id, "c": camera_id, "r": reason, "n": secrets.token_hex(6)}
    return signing.dumps(payload, salt=LIFT_SALT, compress=True)


def read_lift_token(token: str | None, user_id: int | None, camera_id: int) -> str | None:
    """The reason a genuine, fresh lift token carries for this person and camera."""
    from django.core import signing

    from vigie.recording.playback import REASON_MIN_LENGTH, TOKEN_MAX_AGE

    if not token or user_id is None or len(token) > 2000:
        return None
    try:
        data = signing.loads(token, salt=LIFT_SALT, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("u") != user_id or data.get("c") != camera_id:
        return None
    reason = str(data.get("r", "")).strip()
    return reason if len(reason) >= REASON_MIN_LENGTH else None

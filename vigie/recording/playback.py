"""Playback: HLS VOD playlists built on the fly from the segment index, and the
timeline of recorded spans and gaps.

The pure part (``plan_parts``, ``render_playlist``, ``parse_range``, ``merge_spans``)
takes plain values and is table-tested; the functions at the bottom read the
database and the files. Nothing is re-muxed: a playlist points at byte ranges of
the stored MPEG-TS files, cut on keyframes (see ``tsindex``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.recording import livewindow, tsindex
from vigie.recording.paths import segment_file

MAX_RANGE = timedelta(hours=24)
# Byte ranges shorter than this are merged: fewer requests, same seek precision as
# the player starts a range at its first keyframe anyway.
MIN_PART_SECONDS = 2.0
# Wall-clock holes shorter than this between two segments are the recorder's
# rotation jitter, not a gap.
GAP_TOLERANCE = timedelta(milliseconds=500)
PTS_TOLERANCE_SECONDS = 0.5
# A part overlapping the range by less than this (instants are carried to the
# millisecond) has nothing to show.
EDGE_TOLERANCE = timedelta(milliseconds=50)
# Only the segment holding the requested start is indexed on the spot (scanned once,
# then cached) for keyframe byte ranges; later ones use a cached index when there is
# one, else are listed whole. A seek makes a new playlist starting at the instant
# sought, so this is where byte ranges matter; scanning more would delay the answer
# (about 40 ms per minute of 2 Mbit/s footage).
INDEX_HORIZON = timedelta(seconds=1)


class RangeError(ValueError):
    """A playback or timeline range the person must correct (answered with a 400)."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class SegmentRef:
    """What planning needs of one segment."""

    id: int
    start: datetime
    end: datetime
    size: int
    index: tsindex.TsIndex | None = None


@dataclass(frozen=True)
class GapRef:
    start: datetime
    end: datetime | None
    cause: str
    label: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Part:
    """One playlist entry: a byte range of a segment, with its wall-clock start."""

    segment_id: int
    start: datetime
    duration: float
    offset: int
    length: int
    discontinuity: bool = False
    date_time: bool = False  # write EXT-X-PROGRAM-DATE-TIME before it

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration)


# --------------------------------------------------------------------------- ranges


def parse_instant(raw: str | None, name: str) -> datetime:
    """An ISO 8601 instant; a naive one is in the server's time zone."""
    text = (raw or "").strip()
    if not text:
        raise RangeError(_("Give a date and time (%(name)s).") % {"name": name})
    # A "+01:00" offset arrives as " 01:00" when the query string was not encoded.
    text = re.sub(r"(T[\d:.]+) (\d{2}:?\d{2})$", r"\1+\2", text)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise RangeError(
            _("“%(value)s” is not a date and time (expected ISO 8601, e.g. %(example)s).")
            % {"value": text[:40], "example": "2025-03-14T08:30:00+01:00"}
        ) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def parse_range(
    start_raw: str | None,
    end_raw: str | None,
    recorded: tuple[datetime, datetime] | None,
    *,
    max_length: timedelta = MAX_RANGE,
) -> tuple[datetime, datetime]:
    """Check a requested range against the rules and the recorded period."""
    start = parse_instant(start_raw, _("start"))
    end = parse_instant(end_raw, _("end"))
    if end <= start:
        raise RangeError(_("The end of the range must come after its start."))
    if end - start > max_length:
        hours = int(max_length.total_seconds() // 3600)
        raise RangeError(
            _("A range may not exceed %(hours)d hours: ask for a shorter one.") % {"hours": hours}
        )
    if recorded is None:
        raise RangeError(_("Nothing has been recorded for this camera."))
    first, last = recorded
    if end <= first or start >= last:
        raise RangeError(
            _("This range is outside the recorded period (%(first)s – %(last)s).")
            % {"first": iso(first), "last": iso(last)}
        )
    return start, end


def iso(value: datetime) -> str:
    """UTC, to the millisecond, with a Z: what HLS and the API carry."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------- planning


def segment_parts(segment: SegmentRef, min_part: float = MIN_PART_SECONDS) -> list[Part]:
    """A segment as keyframe-aligned byte ranges (the whole file without an index)."""
    index = segment.index
    if index is None or not index.keyframes:
        duration = max((segment.end - segment.start).total_seconds(), 0.001)
        return [Part(segment.id, segment.start, duration, 0, segment.size)]
    bounds = [(k.offset, k.pts) for k in index.keyframes] + [(index.size, index.duration)]
    parts: list[Part] = []
    begin_offset, begin_pts = bounds[0]
    for offset, pts in bounds[1:]:
        last = offset == index.size
        if pts - begin_pts < min_part and not last:
            continue
        if last and parts and pts - begin_pts < min_part / 2:
            # A short tail is folded into the previous range rather than left alone.
            prev = parts.pop()
            begin_offset, begin_pts = prev.offset, (prev.start - segment.start).total_seconds()
        start = segment.start + timedelta(seconds=begin_pts)
        duration = max(pts - begin_pts, 0.001)
        parts.append(Part(segment.id, start, duration, begin_offset, offset - begin_offset))
        begin_offset, begin_pts = offset, pts
    return parts


def _continuous(prev: SegmentRef, nxt: SegmentRef) -> bool:
    """Whether ``nxt`` follows ``prev`` with no hole in time nor a reset of timestamps."""
    if abs(nxt.start - prev.end) > GAP_TOLERANCE:
        return False
    a, b = prev.index, nxt.index
    if a is None or b is None or a.pts_origin is None or b.pts_origin is None:
        return True
    expected = (a.pts_origin + round(a.duration * tsindex.PTS_HZ)) % tsindex.PTS_WRAP
    drift = abs(b.pts_origin - expected)
    drift = min(drift, tsindex.PTS_WRAP - drift)
    return drift / tsindex.PTS_HZ <= PTS_TOLERANCE_SECONDS


def plan_parts(
    segments: Sequence[SegmentRef],
    start: datetime,
    end: datetime,
    min_part: float = MIN_PART_SECONDS,
) -> list[Part]:
    """The entries of a playlist for [start, end): every part that overlaps it.

    A discontinuity is marked wherever time jumps (a gap) or the timestamps restart
    (a new recording run), and each file's first entry carries its wall-clock time.
    """
    parts: list[Part] = []
    previous: SegmentRef | None = None
    for segment in sorted(segments, key=lambda s: s.start):
        if segment.end <= start or segment.start >= end:
            continue
        chosen = [
            p
            for p in segment_parts(segment, min_part)
            if min(p.end, end) - max(p.start, start) > EDGE_TOLERANCE
        ]
        if not chosen:
            continue
        jump = previous is not None and (
            not _continuous(previous, segment) or chosen[0].offset != _first_offset(segment)
        )
        for i, part in enumerate(chosen):
            parts.append(
                Part(
                    part.segment_id,
                    part.start,
                    part.duration,
                    part.offset,
                    part.length,
                    discontinuity=jump and i == 0,
                    date_time=i == 0,
                )
            )
        previous = segment
    return parts


def _first_offset(segment: SegmentRef) -> int:
    index = segment.index
    return index.keyframes[0].offset if index is not None and index.keyframes else 0


def render_playlist(
    parts: Sequence[Part],
    uri_for: Callable[[int], str],
    start: datetime,
    end: datetime,
    gaps: Iterable[GapRef] = (),
    *,
    byte_ranges: bool = True,
) -> str:
    """An HLS VOD playlist (version 4: byte ranges) for the planned parts; without
    ``byte_ranges`` each entry is a whole file (masked renditions, see ``masks``)."""
    target = max((math.ceil(p.duration) for p in parts), default=1)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:4",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        f"# Vigie playback {iso(start)}/{iso(end)}",
    ]
    for gap in gaps:
        gap_end = iso(gap.end) if gap.end else ""
        lines.append(f"# gap {iso(gap.start)}/{gap_end} {gap.cause}")
    if not parts:
        lines.append("# no footage in this range")
    else:
        offset = (start - parts[0].start).total_seconds()
        if offset > 0:
            lines.append(f"#EXT-X-START:TIME-OFFSET={offset:.3f},PRECISE=YES")
    for part in parts:
        if part.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        if part.date_time or part.discontinuity:
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{iso(part.start)}")
        lines.append(f"#EXTINF:{part.duration:.6f},")
        if byte_ranges:
            lines.append(f"#EXT-X-BYTERANGE:{part.length}@{part.offset}")
        lines.append(uri_for(part.segment_id))
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- timeline


def merge_spans(
    intervals: Iterable[tuple[datetime, datetime]], tolerance: timedelta = GAP_TOLERANCE
) -> list[tuple[datetime, datetime]]:
    """Recorded spans: consecutive segments closer than ``tolerance`` are one span."""
    spans: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if spans and start - spans[-1][1] <= tolerance:
            if end > spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def clip(
    spans: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    return [(max(a, start), min(b, end)) for a, b in spans if b > start and a < end]


# --------------------------------------------------------------------------- database


def recorded_period(camera: Any) -> tuple[datetime, datetime] | None:
    """The first and last instant of indexed footage of a camera (None if none)."""
    from vigie.recording.models import Segment

    # Both ends read through the (camera, start) index: segments do not overlap, so
    # the last one to start is the last to end. An aggregate on "end" would scan them all.
    rows = Segment.objects.unrestricted().filter(camera=camera, end__isnull=False)
    first = rows.order_by("start").values_list("start", flat=True).first()
    last = rows.order_by("-start").values_list("end", flat=True).first()
    if first is None or last is None:
        return None
    return first, last


def growing_since(camera: Any) -> datetime | None:
    """The start of the segment the recorder is writing now (not in the index's closed
    segments yet), None if it is not recording."""
    from vigie.recording.models import Segment

    rows = Segment.objects.unrestricted().filter(camera=camera, end__isnull=True)
    return rows.order_by("-start").values_list("start", flat=True).first()


def segments_between(camera: Any, start: datetime, end: datetime) -> list[Any]:
    """The closed or growing segments of a camera (already checked) overlapping a range."""
    from vigie.recording.models import Segment

    # The camera was found through restrict(user, action): its segments are in reach.
    return list(
        Segment.objects.unrestricted()
        .select_related("storage_pool")
        .filter(camera=camera, end__isnull=False, start__lt=end, end__gt=start)
        .order_by("start")
    )


def gaps_between(camera: Any, start: datetime, end: datetime) -> list[GapRef]:
    from django.db.models import Q

    from vigie.recording.models import Gap

    rows = (
        Gap.objects.unrestricted()
        .filter(camera=camera, start__lt=end)
        .filter(Q(end__isnull=True) | Q(end__gt=start))
        .order_by("start")
    )
    return [GapRef(g.start, g.end, g.cause, str(g.get_cause_display()), g.detail) for g in rows]


def segment_ref(segment: Any, *, scan: bool) -> SegmentRef | None:
    """A segment with its keyframe index (scanned if ``scan``, else cached only)."""
    path = segment_file(segment)
    index: tsindex.TsIndex | None = None
    try:
        index = tsindex.load_index(path) if scan else _cached_index(path)
        size = index.size if index is not None else path.stat().st_size
    except FileNotFoundError:
        return None  # the deleters removed it meanwhile: it is a hole, not an error
    except (OSError, tsindex.TsFormatError):
        index, size = None, segment.bytes
    return SegmentRef(segment.pk, segment.start, segment.end, size, index)


def _cached_index(path: Path) -> tsindex.TsIndex | None:
    sidecar = tsindex.sidecar_path(path)
    if not sidecar.exists():
        path.stat()  # FileNotFoundError when the segment itself is gone
        return None
    return tsindex.load_index(path)


def playlist_for(
    camera: Any,
    start: datetime,
    end: datetime,
    uri_for: Callable[[int], str],
    *,
    whole_segments: bool = False,
) -> tuple[str, list[Part], list[GapRef]]:
    """The playlist of a camera for a checked range, with its parts and gaps.

    ``whole_segments``: one entry per segment and no byte range: a masked camera's
    segments are served as masked copies whose byte offsets are not the raw file's."""
    refs = []
    horizon = start + INDEX_HORIZON
    for segment in segments_between(camera, start, end):
        if whole_segments:
            if segment_file(segment).is_file():
                refs.append(SegmentRef(segment.pk, segment.start, segment.end, segment.bytes))
            continue
        ref = segment_ref(segment, scan=segment.start < horizon)
        if ref is not None:
            refs.append(ref)
    parts = plan_parts(refs, start, end)
    gaps = gaps_between(camera, start, end)
    text = render_playlist(parts, uri_for, start, end, gaps, byte_ranges=not whole_segments)
    return text, parts, gaps


def timeline(camera: Any, start: datetime, end: datetime) -> dict[str, Any]:
    """Recorded spans and gaps of a camera in a range (metadata only, no image)."""
    segments = segments_between(camera, start, end)
    spans = clip(merge_spans((s.start, s.end) for s in segments), start, end)
    return {
        "start": start,
        "end": end,
        "recorded": recorded_period(camera),
        "spans": spans,
        "gaps": gaps_between(camera, start, end),
    }


# --------------------------------------------------------------------------- reason tokens

TOKEN_SALT = "vigie.recording.playback"  # noqa: S105 (a namespace, not a secret)
# Short-lived: long enough to review footage, short enough that a copied URL dies.
TOKEN_MAX_AGE = timedelta(hours=2)
REASON_MIN_LENGTH = 5
REASON_MAX_LENGTH = 500


@dataclass(frozen=True)
class PlaybackGrant:
    """What a valid reason token says: who, which camera, why."""

    user_id: int
    camera_id: int
    reason: str
    nonce: str


def issue_token(user_id: int, camera_id: int, reason: str) -> str:
    import secrets

    from django.core import signing

    payload = {"u": user_id, "c": camera_id, "r": reason, "n": secrets.token_hex(6)}
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


def read_token(
    token: str | None, user_id: int | None, camera_id: int, *, max_age: timedelta = TOKEN_MAX_AGE
) -> PlaybackGrant | None:
    """The grant a token carries if it is genuine, fresh, and for this person and camera."""
    from django.core import signing

    if not token or user_id is None or len(token) > 2000:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("u") != user_id or data.get("c") != camera_id:
        return None
    reason = str(data.get("r", "")).strip()
    if len(reason) < REASON_MIN_LENGTH:
        return None
    return PlaybackGrant(user_id, camera_id, reason, str(data.get("n", "")))


# --------------------------------------------------------------------------- live

LIVE_PLAYLIST = "index.m3u8"
# The recorder names its parts itself; anything else (dots, slashes, long names) is
# refused before the file system is touched.
LIVE_PART_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}\.ts$")
LIVE_SEGMENT_NAME = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})T\d{6}Z\.ts")
LIVE_SESSION_WINDOW = timedelta(minutes=5)


def live_pools(camera: Any) -> list[Any]:
    """Where the recorder may write a camera's live window: its own pool, else (as the
    recorder falls back) the pools of its recorder node, by name."""
    from vigie.inventory.models import StoragePool

    pools = [camera.storage_pool] if camera.storage_pool_id is not None else []
    if camera.recorder_node_id is not None:
        pools += list(
            StoragePool.objects.unrestricted()
            .filter(node_id=camera.recorder_node_id)
            .exclude(pk=camera.storage_pool_id)
            .order_by("name")
        )
    return pools


def live_path(camera: Any, name: str) -> Path | None:
    """The live playlist or part of a camera, if the name is valid and the file there."""
    from vigie.recording.paths import live_dir

    if name != LIVE_PLAYLIST and not LIVE_PART_NAME.fullmatch(name):
        return None
    if name.startswith(livewindow.PART_PREFIX):
        return _live_segment(camera, name.removeprefix(livewindow.PART_PREFIX))
    for pool in live_pools(camera):
        folder = live_dir(pool, camera.pk).resolve()
        path = (folder / name).resolve()
        # resolve() follows links: a link leading out of the folder is refused.
        if path.parent == folder and path.is_file():
            return path
    return None


def _live_segment(camera: Any, file_name: str) -> Path | None:
    """A part of the PyAV ingest's live window: a byte range of a segment file of this
    camera, named by its UTC start (``livewindow``). Only a file the live playlist
    lists now: live is not a way around playback's right, reason and journal."""
    from vigie.recording.paths import segment_dir

    start = LIVE_SEGMENT_NAME.fullmatch(file_name)
    playlist = live_path(camera, LIVE_PLAYLIST)
    if start is None or playlist is None:
        return None
    try:
        listed = (livewindow.PART_PREFIX + file_name) in playlist.read_text().splitlines()
    except OSError:
        return None
    if not listed:
        return None
    day = f"{start['y']}-{start['m']}-{start['d']}"
    for pool in live_pools(camera):
        path = segment_dir(pool, camera.pk) / day / file_name
        if path.is_file() and not path.is_symlink():
            return path
    return None


def live_session_starts(seen: dict[str, float], camera_id: int, now: float) -> bool:
    """Whether a playlist request opens a viewing session (then journaled), updating
    ``seen`` (camera id → last request time): the player polls the playlist every few
    seconds, so a continuous viewing is one session."""
    key = str(camera_id)
    last = seen.get(key)
    seen[key] = now
    return last is None or now - last > LIVE_SESSION_WINDOW.total_seconds()


# --------------------------------------------------------------------------- thumbnails

THUMBNAIL_TIMEOUT = 15


def segment_at(camera: Any, at: datetime) -> Any:
    from vigie.recording.models import Segment

    return (
        Segment.objects.unrestricted()
        .select_related("storage_pool")
        .filter(camera=camera, start__lte=at, end__gt=at)
        .order_by("-start")
        .first()
    )


def thumbnail(segment: Any, at: datetime) -> bytes:
    """A JPEG of the keyframe at or before ``at`` in a segment, decoded once and cached
    beside it (``tsindex.remove_derived`` deletes it with the segment)."""
    import subprocess
    import tempfile

    path = segment_file(segment)
    index = tsindex.load_index(path)
    offset = (at - segment.start).total_seconds()
    keyframes = index.keyframes or [tsindex.Keyframe(0, 0.0)]
    number, keyframe = 0, keyframes[0]
    for i, k in enumerate(keyframes):
        if k.pts <= offset:
            number, keyframe = i, k
    cached = path.with_name(path.name + ".thumbs") / f"{number}.jpg"
    if cached.is_file():
        return cached.read_bytes()
    with tempfile.TemporaryDirectory(prefix="vigie-thumb-") as tmp:
        out = Path(tmp) / "frame.jpg"
        command = ["ffmpeg", "-nostdin", "-v", "error", "-ss", f"{keyframe.pts:.3f}"]
        command += ["-i", str(path), "-frames:v", "1", "-an", "-q:v", "4", "-y", str(out)]
        subprocess.run(command, check=True, timeout=THUMBNAIL_TIMEOUT, capture_output=True)
        data = out.read_bytes()
    try:
        cached.parent.mkdir(exist_ok=True)
        partial = cached.with_name(f".{cached.name}.tmp")
        partial.write_bytes(data)
        partial.replace(cached)
    except OSError:
        pass  # a read-only pool: serve it uncached
    return data

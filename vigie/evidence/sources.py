"""From the recording index to an export item: the one place of the package code that
reads the database.

The footage is found through ``vigie.recording.playback`` (the closed segments that
overlap the range, and the recorder's gaps): the caller has already checked that the
camera is in the acting person's reach and that they may export it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from vigie.evidence.package import ExportItem, PackageError, SegmentFile
from vigie.evidence.plan import AFTER_EXPORT_CAUSE, IN_PROGRESS_CAUSE, human
from vigie.recording import playback
from vigie.recording.paths import segment_file

# Polygons of (x, y) fractions of the picture, as models.PrivacyMask keeps them.
PolygonsIn = Sequence[Sequence[Sequence[float]]]


def camera_location(camera: Any) -> str:
    """Where the camera films: its address, else its site's."""
    if camera.address:
        return str(camera.address)
    site = camera.site if camera.site_id else None
    if site is None:
        return ""
    parts = [site.name, site.address, " ".join(p for p in (site.postcode, site.city) if p)]
    return ", ".join(p for p in parts if p)


def _gap_text(gap: playback.GapRef) -> str:
    label = gap.label or gap.cause
    return f"{label} ({gap.detail})" if gap.detail else label


def _not_yet(
    camera: Any, start: datetime, end: datetime
) -> tuple[tuple[datetime, datetime, str], ...]:
    """The end of a range that is not in the index yet, and why: the segment being
    recorded, or what has not happened when the export is made."""
    now = timezone.now()
    found = []
    growing = playback.growing_since(camera)
    if growing is not None and growing < min(end, now):
        found.append((max(growing, start), min(end, now), IN_PROGRESS_CAUSE))
    if end > now:
        found.append((max(now, start), end, AFTER_EXPORT_CAUSE))
    return tuple(found)


def export_item_for(
    camera: Any, start: datetime, end: datetime, *, masks: PolygonsIn = ()
) -> ExportItem:
    """The export item of ``camera`` over [start, end); PackageError when the camera is
    unknown, the range empty, or no footage of it is indexed in the range."""
    if camera is None or getattr(camera, "pk", None) is None:
        raise PackageError("Unknown camera.")
    if start.tzinfo is None or end.tzinfo is None:
        raise PackageError("Give aware dates (with a time zone).")
    if end <= start:
        raise PackageError(
            f"{camera.name}: the range is empty (it ends at {human(end)},"
            f" before or at its start {human(start)})."
        )
    rows = playback.segments_between(camera, start, end)
    if not rows:
        period = playback.recorded_period(camera)
        recorded = (
            f"recorded: {human(period[0])} – {human(period[1])}"
            if period
            else "nothing is recorded for this camera"
        )
        raise PackageError(
            f"{camera.name}: no footage between {human(start)} and {human(end)} ({recorded})."
        )
    segments = tuple(
        SegmentFile(path=segment_file(s), start=s.start, end=s.end, sha256=s.sha256 or "")
        for s in rows
    )
    gaps = tuple(
        (max(g.start, start), min(g.end or end, end), _gap_text(g))
        for g in playback.gaps_between(camera, start, end)
    ) + _not_yet(camera, start, end)
    return ExportItem(
        camera_id=camera.pk,
        camera_name=camera.name,
        camera_location=camera_location(camera),
        start=start,
        end=end,
        segments=segments,
        gaps=gaps,
        masks=tuple(tuple((float(x), float(y)) for x, y in polygon) for polygon in masks),
    )

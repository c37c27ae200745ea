"""What one export item is made of: the pieces to copy, the holes and their causes.

Pure functions over the item's values (no database, no FFmpeg): table-testable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from vigie.evidence.package import ExportItem, SegmentFile

PARIS = ZoneInfo("Europe/Paris")
# Holes shorter than this between two segments are the recorder's rotation jitter.
GAP_TOLERANCE = timedelta(milliseconds=500)
# Kept in English in the manifest; translated where it is shown.
UNKNOWN_CAUSE = gettext_noop("no footage stored (no recorder gap recorded)")
IN_PROGRESS_CAUSE = gettext_noop(
    "still being recorded: the segment in progress is exported once it is closed"
    " (export again in a minute or two)"
)
AFTER_EXPORT_CAUSE = gettext_noop("after the moment of the export")
# Causes said by Vigie itself, translated in each note's language; the recorder's
# gap causes come as the recorder wrote them.
OWN_CAUSES = (UNKNOWN_CAUSE, IN_PROGRESS_CAUSE, AFTER_EXPORT_CAUSE)


@dataclass(frozen=True)
class Hole:
    start: datetime
    end: datetime
    cause: str


def utc_text(value: datetime) -> str:
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def paris_text(value: datetime) -> str:
    local = value.astimezone(PARIS)
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}"
        + (local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:])
    )


def moment(value: datetime) -> dict[str, str]:
    return {"utc": utc_text(value), "europe_paris": paris_text(value)}


def human(value: datetime) -> str:
    """For notes and the report: Paris time first, UTC beside it."""
    local = value.astimezone(PARIS)
    return f"{local:%d/%m/%Y %H:%M:%S} (Europe/Paris; {value.astimezone(UTC):%H:%M:%S} UTC)"


def usable_segments(item: ExportItem) -> tuple[list[SegmentFile], list[SegmentFile]]:
    """The item's segments that overlap its range: those whose file is there, and
    those whose file is missing from storage."""
    kept: list[SegmentFile] = []
    missing: list[SegmentFile] = []
    for segment in sorted(item.segments, key=lambda s: s.start):
        if segment.end <= item.start or segment.start >= item.end:
            continue
        (kept if segment.path.is_file() else missing).append(segment)
    return kept, missing


def missing_note(item: ExportItem, segment: SegmentFile) -> str:
    return _("%(camera)s: the segment file %(file)s (%(start)s) is missing from storage") % {
        "camera": item.camera_name,
        "file": segment.path.name,
        "start": human(segment.start),
    }


def runs(segments: Sequence[SegmentFile]) -> list[list[SegmentFile]]:
    """Segments grouped into runs without a hole between them."""
    grouped: list[list[SegmentFile]] = []
    for segment in segments:
        if grouped and segment.start - grouped[-1][-1].end <= GAP_TOLERANCE:
            grouped[-1].append(segment)
        else:
            grouped.append([segment])
    return grouped


def holes(
    segments: Sequence[SegmentFile],
    start: datetime,
    end: datetime,
    gaps: Iterable[tuple[datetime, datetime, str]] = (),
) -> list[Hole]:
    """The parts of [start, end) no segment covers, each with the recorded causes of
    the gaps that overlap it (or "unknown")."""
    gap_list = list(gaps)
    found: list[Hole] = []
    cursor = start
    for run in runs(segments):
        if run[0].start - cursor > GAP_TOLERANCE:
            found.append(_hole(cursor, min(run[0].start, end), gap_list))
        cursor = max(cursor, run[-1].end)
    if end - cursor > GAP_TOLERANCE:
        found.append(_hole(cursor, end, gap_list))
    return [h for h in found if h.end > h.start]


def _hole(start: datetime, end: datetime, gaps: list[tuple[datetime, datetime, str]]) -> Hole:
    causes = []
    covered = timedelta(0)
    for g_start, g_end, cause in gaps:
        if g_start < end and g_end > start:
            covered += min(g_end, end) - max(g_start, start)
            if cause not in causes:
                causes.append(cause)
    if end - start - covered > GAP_TOLERANCE:  # a part no cause explains
        causes.append(UNKNOWN_CAUSE)
    return Hole(start, end, "; ".join(causes))


def hole_notes(item: ExportItem, found: Sequence[Hole]) -> list[str]:
    notes = []
    for hole in found:
        if hole.start == item.start and hole.end == item.end:
            what = _("no footage at all in the asked range")
        elif hole.start == item.start:
            what = _("footage begins only at %(at)s") % {"at": human(hole.end)}
        elif hole.end == item.end:
            what = _("footage ends at %(at)s") % {"at": human(hole.start)}
        else:
            what = _("no footage from %(start)s to %(end)s") % {
                "start": human(hole.start),
                "end": human(hole.end),
            }
        cause = "; ".join(_(c) if c in OWN_CAUSES else c for c in hole.cause.split("; "))
        notes.append(f"{item.camera_name}: {what} — {cause}")
    return notes


def hole_dict(hole: Hole) -> dict[str, Any]:
    return {
        "start": moment(hole.start),
        "end": moment(hole.end),
        "seconds": round((hole.end - hole.start).total_seconds(), 3),
        "cause": hole.cause,
    }

"""The live HLS window, written by the PyAV ingest as byte ranges of the segment file
it is writing: live costs no second output, no extra copy and no extra disk.

Each part starts at the PAT/PMT the MPEG-TS muxer writes just before a keyframe and
ends where the next keyframe's starts, so a player can start on any part. Parts are
named ``seg-<segment file name>``: ``playback.live_path`` maps that name back to the
segment file, and nothing else.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

PLAYLIST = "index.m3u8"
PART_PREFIX = "seg-"
WINDOW_PARTS = 6


@dataclass(frozen=True)
class LivePart:
    file_name: str  # the segment file, e.g. 20261123T052400Z.ts
    offset: int
    length: int
    duration: float  # seconds
    start: float  # wall clock (epoch seconds) of its first frame


def render(parts: Iterable[LivePart], first_sequence: int) -> str:
    """An HLS (version 4, byte ranges) live playlist: no end tag, sliding window."""
    parts = list(parts)
    target = max([math.ceil(p.duration) for p in parts] + [1])
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:4",
        f"#EXT-X-TARGETDURATION:{target}",
        f"#EXT-X-MEDIA-SEQUENCE:{first_sequence}",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    # No discontinuity between segment files: within one connection the ingest keeps
    # timestamps continuous across files, and each file starts with PAT/PMT.
    for part in parts:
        when = datetime.fromtimestamp(part.start, UTC).isoformat(timespec="milliseconds")
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{when.replace('+00:00', 'Z')}")
        lines.append(f"#EXTINF:{part.duration:.3f},")
        lines.append(f"#EXT-X-BYTERANGE:{part.length}@{part.offset}")
        lines.append(PART_PREFIX + part.file_name)
    return "\n".join(lines) + "\n"


class LiveWindow:
    """The last few complete parts of one camera, and the playlist file that lists them.

    ``sequence`` starts at the wall clock in milliseconds, so a restarted ingest never
    makes the media sequence go back for a player that follows it."""

    def __init__(self, folder: Path, now: float, size: int = WINDOW_PARTS) -> None:
        self.folder = folder
        self.parts: deque[LivePart] = deque(maxlen=size)
        self.next_sequence = int(now * 1000)
        self._open: tuple[str, int, float, float] | None = None  # file, offset, pts, wall

    def keyframe(self, file_name: str, offset: int, pts_s: float, wall: float) -> None:
        """A keyframe is about to be written at ``offset`` of ``file_name``: the part
        open since the previous keyframe (if in the same file) is complete."""
        if self._open is not None:
            name, start, start_pts, start_wall = self._open
            if name == file_name and offset > start and pts_s > start_pts:
                self._add(LivePart(name, start, offset - start, pts_s - start_pts, start_wall))
        self._open = (file_name, offset, pts_s, wall)

    def close_file(self, file_name: str, size: int, pts_s: float) -> None:
        """The segment file ends (rotation or stop): its last part is complete."""
        if self._open is not None and self._open[0] == file_name:
            name, start, start_pts, start_wall = self._open
            if size > start and pts_s > start_pts:
                self._add(LivePart(name, start, size - start, pts_s - start_pts, start_wall))
            self._open = None

    def _add(self, part: LivePart) -> None:
        self.parts.append(part)
        self.next_sequence += 1
        self.write()

    def write(self) -> None:
        first = self.next_sequence - len(self.parts)
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{PLAYLIST}.tmp"
        tmp.write_text(render(self.parts, first))
        os.replace(tmp, self.folder / PLAYLIST)  # a reader never sees half a playlist

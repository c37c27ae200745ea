"""One connection's access units → successive MPEG-TS segment files.

The same files, names and side effects as ``avingest.SegmentWriter``: a file named by
its UTC start under ``<segment root>/<day>/``, cut on the first keyframe after the
camera's staggered boundary or when the SPS changes; the live window told of every
keyframe (once the bytes before it are in the file); each file's media facts kept for
its index row. Writes are queued and go out in one ``writev`` per loop round.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vigie.recording import supervision
from vigie.recording.index import Media
from vigie.recording.ingest import IngestSpec, remember
from vigie.recording.livewindow import LiveWindow
from vigie.recording.rtp.depay import AccessUnit
from vigie.recording.rtp.tsmux import TsMuxer
from vigie.recording.sps import picture_size

PTS_HZ = 90_000
PTS_START = 126_000  # 1.4 s, where FFmpeg's mpegts muxer starts a stream
ANCHOR_SLACK_S = 0.3  # a few loop rounds
IOV_MAX = 512  # well under Linux's 1024 buffers per writev
FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def media_for(codec: str, sps: bytes | None) -> Media:
    size = picture_size(codec, sps) if sps else None
    return Media(codec, *size) if size else Media(codec, None, None)


def write_all(fd: int, chunks: list[Any]) -> None:
    """Every byte of ``chunks`` (bytes or numpy arrays), in as few calls as possible."""
    for first in range(0, len(chunks), IOV_MAX):
        group = chunks[first : first + IOV_MAX]
        total = sum(memoryview(c).nbytes for c in group)
        done = os.writev(fd, group)
        if done < total:  # a short write (a filesystem filling up): finish it by hand
            rest = memoryview(b"".join(group))[done:]
            while rest:
                rest = rest[os.write(fd, rest) :]


class TsSegmentWriter:
    def __init__(self, spec: IngestSpec, codec: str, sps: bytes | None, live: LiveWindow | None):
        self.spec = spec
        self.codec = codec
        self.live = live
        self.sps = sps  # the SDP's, until a keyframe brings its own
        self.media = media_for(codec, sps)
        self.fd = -1
        self.mux: TsMuxer | None = None
        self.path: Path | None = None
        self.name = ""
        self.size = 0  # of the open file, queued bytes included
        self.pending: list[Any] = []
        self.boundary = 0.0
        self.last_pts: int | None = None
        self.step = 0
        self.file_media: dict[str, Media] = {}
        self.frames = 0  # pictures in the open file
        self.file_frames: dict[str, int] = {}  # of the files closed lately
        self.offset: float | None = None  # wall clock − PTS, in seconds

    def write(self, unit: AccessUnit) -> None:
        pts = unit.pts + PTS_START
        last = self.last_pts
        if last is not None:
            if pts <= last:
                pts = last + 1  # a muxer must never go back (a camera's clock may)
            else:
                self.step = pts - last
        self.last_pts = pts
        if unit.key:
            wall = time.time()
            self._anchor(wall, pts)
            changed = self._sps_changed(unit.sps)
            if self.fd < 0 or wall >= self.boundary or changed:
                self._rotate(wall)
            if self.fd >= 0 and self.live is not None:
                self.flush()  # the part before this keyframe is in the file when listed
                self.live.keyframe(self.name, self.size, pts / PTS_HZ, wall)
        if self.fd < 0 or self.mux is None:
            return  # a segment starts on a keyframe: wait for the first one
        self.size += self.mux.frame(pts, unit.key, unit.data, self.pending)
        self.frames += 1

    def _anchor(self, wall: float, pts: int) -> None:
        """Where this connection's timestamps sit on the wall clock. A keyframe is
        seen at its arrival plus the loop's delay (never less): the smallest offset
        seen is the truest. Re-taken when it grows by more than a few rounds (a camera
        clock drifting, the old frames a camera sends at connection)."""
        offset = wall - pts / PTS_HZ
        if self.offset is None or offset < self.offset or offset > self.offset + ANCHOR_SLACK_S:
            self.offset = offset

    def _sps_changed(self, sps: bytes | None) -> bool:
        if sps is None or sps == self.sps:
            return False
        first = self.fd < 0 and self.path is None
        self.sps = sps
        media = media_for(self.codec, sps)
        if media.width is not None:
            self.media = media
        return not first

    def _rotate(self, wall: float) -> None:
        start = datetime.fromtimestamp(wall, UTC)
        name = f"{start:%Y%m%dT%H%M%SZ}.ts"
        if self.fd >= 0 and name <= self.name:
            return  # same second as the open file: its name is taken
        self.close()
        folder = self.spec.segment_root / f"{start:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        self.path, self.name = folder / name, name
        remember(self.file_media, name, self.media)
        self.fd = os.open(self.path, FILE_FLAGS, 0o644)
        self.mux, self.size, self.frames = TsMuxer(self.codec), 0, 0
        period, offset = self.spec.segment_time_s, self.spec.offset_s
        self.boundary = supervision.next_boundary(wall, period, offset)

    def flush(self) -> None:
        """The queued bytes, then as last write the wall time the content reaches
        (not the loop round's): the index places files end to end by it, and a file
        cut by kill -9 is placed by its content."""
        if self.pending:
            chunks, self.pending = self.pending, []
            write_all(self.fd, chunks)
            if self.offset is not None and self.last_pts is not None:
                # Never in the future: the recovery scan takes a file ending after
                # "now" for one still being written.
                end = min(self.offset + (self.last_pts + self.step) / PTS_HZ, time.time())
                os.utime(self.fd, (end, end))

    def close(self) -> None:
        if self.fd < 0:
            return
        fd = self.fd
        try:
            self.flush()
        finally:
            self.fd, self.mux = -1, None
            os.close(fd)
        remember(self.file_frames, self.name, self.frames)
        if self.live is not None and self.last_pts is not None:
            self.live.close_file(self.name, self.size, (self.last_pts + self.step) / PTS_HZ)

    def abandon(self) -> None:
        """The ingest was killed: close the file, write nothing more."""
        self.pending = []
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)

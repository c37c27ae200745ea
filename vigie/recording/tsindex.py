"""Keyframe index of an MPEG-TS segment, in pure Python over 188-byte packets.

Playback splits each segment into keyframe-aligned byte ranges (HLS
``#EXT-X-BYTERANGE``) so that a seek fetches a few hundred kilobytes instead of a
whole file, and nothing is ever re-muxed. The index is built by one sequential scan
(PAT → PMT → the video PID; ``random_access_indicator`` in the adaptation field marks
a keyframe; the PES header gives its PTS) and cached in a JSON sidecar next to the
segment, keyed by the file's size and modification time so a file still growing is
never served a stale index.

Each range starts at the PAT/PMT packets that FFmpeg's muxer writes just before a
keyframe: a player that starts reading there knows the programme without having
seen the beginning of the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

PACKET = 188
SYNC = 0x47
PTS_HZ = 90_000
PTS_WRAP = 1 << 33
# Read this many packets at a time: big enough to be fast, small enough for memory.
CHUNK_PACKETS = 2048
INDEX_VERSION = 1
SIDECAR_SUFFIX = ".idx.json"

# PMT stream types that carry video: MPEG-1/2, MPEG-4 part 2, H.264, H.265.
VIDEO_STREAM_TYPES = frozenset({0x01, 0x02, 0x10, 0x1B, 0x24})
# NAL unit types of a random-access picture, used when a muxer does not set the flag.
H264_IDR = frozenset({5})
HEVC_IRAP = frozenset(range(16, 24))


class TsFormatError(ValueError):
    """The file is not an MPEG-TS stream this scanner understands."""


@dataclass(frozen=True)
class Keyframe:
    offset: int  # where the range starts: the PAT/PMT before the keyframe, or the keyframe
    pts: float  # seconds from the first PTS of the file


@dataclass
class TsIndex:
    size: int
    mtime_ns: int
    video_pid: int | None
    stream_type: int | None
    duration: float  # seconds, from the first PTS to the end of the last frame
    pts_origin: int | None = None  # the first 33-bit PTS, to tell continuity across files
    keyframes: list[Keyframe] = field(default_factory=list)
    version: int = INDEX_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> TsIndex:
        data = json.loads(text)
        data["keyframes"] = [Keyframe(**k) for k in data.get("keyframes", [])]
        return cls(**data)


@dataclass
class _ScanState:
    pmt_pids: set[int] = field(default_factory=set)
    video_pid: int | None = None
    stream_type: int | None = None
    si_run_start: int | None = None  # first offset of the PSI packets just read
    first_pts: int | None = None
    last_pts: int | None = None
    prev_pts: int | None = None
    frame_ticks: int = 0  # the last seen PTS step, to account for the last frame
    keyframes: list[tuple[int, int]] = field(default_factory=list)  # (offset, raw pts)


def _chunks(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) runs of whole packets; a torn last packet is ignored."""
    offset = 0
    while True:
        chunk = stream.read(PACKET * CHUNK_PACKETS)
        whole = len(chunk) - len(chunk) % PACKET
        if whole:
            yield offset, chunk if whole == len(chunk) else chunk[:whole]
        offset += len(chunk)
        if not chunk or whole != len(chunk):
            return


def _payload(packet: bytes) -> tuple[bytes, int]:
    """The payload of a packet and its adaptation-field flags byte (0 when absent)."""
    control = (packet[3] >> 4) & 0x3
    flags = 0
    start = 4
    if control & 0x2:
        length = packet[4]
        if length:
            flags = packet[5]
        start = 5 + length
    if not control & 0x1 or start >= PACKET:
        return b"", flags
    return packet[start:], flags


def _section(payload: bytes) -> bytes:
    """A PSI section (after its pointer field), whole or as much of it as there is."""
    if not payload:
        return b""
    start = 1 + payload[0]
    return payload[start:]


def _parse_pat(section: bytes, state: _ScanState) -> None:
    if len(section) < 8 or section[0] != 0x00:
        return
    length = ((section[1] & 0x0F) << 8) | section[2]
    end = min(3 + length - 4, len(section))  # without the CRC
    for i in range(8, end - 3, 4):
        program = (section[i] << 8) | section[i + 1]
        pid = ((section[i + 2] & 0x1F) << 8) | section[i + 3]
        if program != 0:  # program 0 points at the network PID, not a PMT
            state.pmt_pids.add(pid)


def _parse_pmt(section: bytes, state: _ScanState) -> None:
    if len(section) < 12 or section[0] != 0x02 or state.video_pid is not None:
        return
    length = ((section[1] & 0x0F) << 8) | section[2]
    end = min(3 + length - 4, len(section))
    info_length = ((section[10] & 0x0F) << 8) | section[11]
    i = 12 + info_length
    while i + 5 <= end:
        stream_type = section[i]
        pid = ((section[i + 1] & 0x1F) << 8) | section[i + 2]
        es_length = ((section[i + 3] & 0x0F) << 8) | section[i + 4]
        if stream_type in VIDEO_STREAM_TYPES:
            state.video_pid, state.stream_type = pid, stream_type
            return
        i += 5 + es_length


def pes_pts(payload: bytes) -> int | None:
    """The 33-bit PTS of a PES packet header, or None without one."""
    if len(payload) < 14 or payload[0:3] != b"\x00\x00\x01" or not payload[7] & 0x80:
        return None
    p = payload[9:14]
    return ((p[0] >> 1) & 0x07) << 30 | p[1] << 22 | (p[2] >> 1) << 15 | p[3] << 7 | p[4] >> 1


def _has_random_access_nal(payload: bytes, stream_type: int | None) -> bool:
    """Whether a PES start carries an IDR/IRAP picture (for muxers that skip the flag)."""
    if len(payload) < 9:
        return False
    es = payload[9 + payload[8] :]
    i = es.find(b"\x00\x00\x01")
    while i != -1 and i + 3 < len(es):
        header = es[i + 3]
        if stream_type == 0x24:
            if (header >> 1) & 0x3F in HEVC_IRAP:
                return True
        elif stream_type == 0x1B and header & 0x1F in H264_IDR:
            return True
        i = es.find(b"\x00\x00\x01", i + 3)
    return False


def _unwrap(pts: int, reference: int) -> int:
    """Bring a 33-bit PTS next to ``reference`` (the counter wraps every 26.5 hours)."""
    while pts - reference > PTS_WRAP // 2:
        pts -= PTS_WRAP
    while reference - pts > PTS_WRAP // 2:
        pts += PTS_WRAP
    return pts


def _on_video(offset: int, packet: bytes, state: _ScanState) -> None:
    payload, flags = _payload(packet)
    if not packet[1] & 0x40:  # not the start of a PES packet: no header here
        return
    raw = pes_pts(payload)
    if raw is None:
        return
    pts = raw if state.first_pts is None else _unwrap(raw, state.first_pts)
    if state.first_pts is None:
        state.first_pts = pts
    if state.prev_pts is not None and pts > state.prev_pts:
        state.frame_ticks = pts - state.prev_pts
    state.prev_pts = pts
    state.last_pts = pts if state.last_pts is None else max(state.last_pts, pts)
    keyframe = bool(flags & 0x40) or _has_random_access_nal(payload, state.stream_type)
    if keyframe:
        start = state.si_run_start if state.si_run_start is not None else offset
        state.keyframes.append((start, pts))


def scan_stream(stream: BinaryIO) -> _ScanState:
    state = _ScanState()
    for base, chunk in _chunks(stream):
        # The hot loop: most packets are video continuations, dismissed after reading
        # three bytes, without slicing.
        for start in range(0, len(chunk), PACKET):
            if chunk[start] != SYNC:
                raise TsFormatError(f"lost packet sync at byte {base + start}")
            flags = chunk[start + 1]
            pid = ((flags & 0x1F) << 8) | chunk[start + 2]
            if pid == state.video_pid:
                if flags & 0x40:  # only the first packet of a PES has a header
                    _on_video(base + start, chunk[start : start + PACKET], state)
                state.si_run_start = None
            elif pid == 0x0000 or pid == 0x0011 or pid in state.pmt_pids:
                if state.si_run_start is None:
                    state.si_run_start = base + start
                if flags & 0x40:  # a section starts in this packet
                    _on_psi(pid, chunk[start : start + PACKET], state)
            elif pid != 0x1FFF:  # null packets do not break a run of PSI packets
                state.si_run_start = None
    return state


def _on_psi(pid: int, packet: bytes, state: _ScanState) -> None:
    section = _section(_payload(packet)[0])
    if pid == 0x0000:
        _parse_pat(section, state)
    elif pid in state.pmt_pids:
        _parse_pmt(section, state)


def scan_file(path: Path) -> TsIndex:
    """Scan a TS file once, sequentially, and return its keyframe index."""
    with path.open("rb") as stream:
        stat = os.fstat(stream.fileno())
        state = scan_stream(stream)
    first = state.first_pts or 0
    duration = 0.0
    if state.last_pts is not None:
        duration = (state.last_pts - first + state.frame_ticks) / PTS_HZ
    keyframes = [Keyframe(offset=o, pts=round((p - first) / PTS_HZ, 6)) for o, p in state.keyframes]
    return TsIndex(
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        video_pid=state.video_pid,
        stream_type=state.stream_type,
        duration=round(duration, 6),
        pts_origin=None if state.first_pts is None else state.first_pts % PTS_WRAP,
        keyframes=keyframes,
    )


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def load_index(path: Path, *, cache: bool = True) -> TsIndex:
    """The index of ``path``, from its sidecar when it still matches the file."""
    stat = path.stat()
    sidecar = sidecar_path(path)
    if cache:
        cached = _read_sidecar(sidecar)
        if (
            cached is not None
            and cached.size == stat.st_size
            and cached.mtime_ns == stat.st_mtime_ns
        ):
            return cached
    index = scan_file(path)
    if cache:
        _write_sidecar(sidecar, index)
    return index


def _read_sidecar(sidecar: Path) -> TsIndex | None:
    try:
        index = TsIndex.from_json(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return index if index.version == INDEX_VERSION else None


def _write_sidecar(sidecar: Path, index: TsIndex) -> None:
    # Written aside then renamed: a reader never sees half an index. A read-only pool
    # only costs a rescan next time.
    tmp = sidecar.with_name(f".{sidecar.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(index.to_json(), encoding="utf-8")
        tmp.replace(sidecar)
    except OSError:
        tmp.unlink(missing_ok=True)


def remove_derived(path: Path) -> None:
    """Delete what playback derived from a segment (index, thumbnails): deleters call this."""
    sidecar_path(path).unlink(missing_ok=True)
    thumbs = path.with_name(path.name + ".thumbs")
    if thumbs.is_dir():
        for child in thumbs.iterdir():
            child.unlink(missing_ok=True)
        thumbs.rmdir()


def describe(index: TsIndex) -> dict[str, Any]:
    return {"duration": index.duration, "keyframes": len(index.keyframes)}

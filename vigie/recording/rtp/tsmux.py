"""An MPEG-TS writer for one video stream (H.264 or H.265), built for stream copy.

Per frame: one PES (PTS only: RTP gives no DTS, as FFmpeg's RTSP demuxer), its first
TS packet carrying an adaptation field with the PCR (every frame, so never more than
a frame interval apart) and the random access flag on keyframes. PAT and PMT go
before every keyframe: a reader (hls.js on a live byte range, tsindex, playback) can
start at any keyframe.

Why the stuffing goes in the *first* packet when it can: then every following packet
is a full 184-byte slice of the frame, and the whole body is built by numpy in a few
array operations instead of a Python loop over ~1 500 packets per camera-second.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PACKET = 188
PAYLOAD = 184
VIDEO_PID = 0x100
PMT_PID = 0x1000
STREAM_TYPES = {"h264": 0x1B, "hevc": 0x24}
PES_HEADER = 14  # start code, stream id, length, flags, header length, PTS
FIRST_ROOM = PAYLOAD - 8  # after an adaptation field with a PCR and no stuffing
PTS_MASK = (1 << 33) - 1
PCR_LEAD = 63_000  # the PCR runs 0.7 s ahead of the PTS (FFmpeg's default mux delay)


def crc32_mpeg(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _section(body: bytes) -> bytes:
    return body + crc32_mpeg(body).to_bytes(4, "big")


def pat_section() -> bytes:
    # table 0, section length 13, transport stream 1, version 0 current, program 1 → PMT.
    body = bytes([0x00, 0xB0, 13, 0, 1, 0xC1, 0, 0, 0, 1, 0xE0 | PMT_PID >> 8, PMT_PID & 0xFF])
    return _section(body)


def pmt_section(stream_type: int) -> bytes:
    # table 2, program 1, PCR on the video PID, one elementary stream.
    head = [0x02, 0xB0, 18, 0, 1, 0xC1, 0, 0, 0xE0 | VIDEO_PID >> 8, VIDEO_PID & 0xFF, 0xF0, 0]
    body = bytes([*head, stream_type, 0xE0 | VIDEO_PID >> 8, VIDEO_PID & 0xFF, 0xF0, 0])
    return _section(body)


def _psi_packet(pid: int, cc: int, section: bytes) -> bytes:
    head = bytes([0x47, 0x40 | pid >> 8, pid & 0xFF, 0x10 | cc, 0])
    return head + section + b"\xff" * (PACKET - len(head) - len(section))


def pts_bytes(pts: int) -> bytes:
    pts &= PTS_MASK
    return bytes(
        (
            0x21 | ((pts >> 29) & 0x0E),
            (pts >> 22) & 0xFF,
            ((pts >> 14) & 0xFE) | 1,
            (pts >> 7) & 0xFF,
            ((pts << 1) & 0xFE) | 1,
        )
    )


def pcr_bytes(base: int) -> bytes:
    base &= PTS_MASK
    return (base << 15 | 0x3F << 9).to_bytes(6, "big")


class TsMuxer:
    """One file's TS packets; ``frame`` returns the buffers to write, in order."""

    def __init__(self, codec: str) -> None:
        stream_type = STREAM_TYPES[codec]
        self.pat, self.pmt = pat_section(), pmt_section(stream_type)
        self.psi_cc = 0
        self.cc = 0
        self._head = np.array([0x47, VIDEO_PID >> 8, VIDEO_PID & 0xFF], np.uint8)
        self._cc_bytes = np.zeros(0, np.uint8)

    def tables(self) -> bytes:
        cc, self.psi_cc = self.psi_cc, (self.psi_cc + 1) & 15
        return _psi_packet(0, cc, self.pat) + _psi_packet(PMT_PID, cc, self.pmt)

    def frame(self, pts: int, key: bool, data: bytes, out: list[Any]) -> int:
        """Appends to ``out`` the TS packets of one access unit (Annex B) with its
        90 kHz PTS; returns their size in bytes."""
        count = 0
        if key:
            out.append(self.tables())
            count = 2
        pes_head = b"\x00\x00\x01\xe0\x00\x00\x84\x80\x05" + pts_bytes(pts)
        total = PES_HEADER + len(data)
        rest = total % PAYLOAD
        if total <= FIRST_ROOM:
            first, tail = total, 0
        elif PES_HEADER <= rest <= FIRST_ROOM:
            first, tail = rest, 0
        else:
            first = FIRST_ROOM
            tail = (total - first) % PAYLOAD
        body = (total - first - tail) // PAYLOAD
        cc = self.cc
        stuffing = FIRST_ROOM - first
        flags = 0x50 if key else 0x10  # random access + PCR, or PCR
        out.append(
            bytes((0x47, 0x40 | VIDEO_PID >> 8, VIDEO_PID & 0xFF, 0x30 | cc, 7 + stuffing, flags))
            + pcr_bytes(pts - PCR_LEAD)
            + b"\xff" * stuffing
            + pes_head
            + data[: first - PES_HEADER]
        )
        cc = (cc + 1) & 15
        at = first - PES_HEADER
        if body:
            out.append(self._body(data, at, body, cc))
            cc = (cc + body) & 15
            at += body * PAYLOAD
        if tail:
            out.append(_tail_packet(cc, data[at:]))
            cc = (cc + 1) & 15
        self.cc = cc
        return (count + 1 + body + (1 if tail else 0)) * PACKET

    def _body(self, data: bytes, at: int, count: int, cc: int) -> np.ndarray[Any, Any]:
        if len(self._cc_bytes) < count + 16:
            size = max(count + 16, 2 * len(self._cc_bytes), 4096)
            self._cc_bytes = (0x10 | (np.arange(size) & 15)).astype(np.uint8)
        packets = np.empty((count, PACKET), np.uint8)
        packets[:, 4:] = np.frombuffer(data, np.uint8, count * PAYLOAD, at).reshape(count, PAYLOAD)
        packets[:, :3] = self._head
        packets[:, 3] = self._cc_bytes[cc : cc + count]
        return packets


def _tail_packet(cc: int, payload: bytes) -> bytes:
    room = PAYLOAD - len(payload)  # the adaptation field, its length byte included
    head = bytes((0x47, VIDEO_PID >> 8, VIDEO_PID & 0xFF, 0x30 | cc, room - 1))
    if room > 1:
        head += b"\x00" + b"\xff" * (room - 2)
    return head + payload

"""RTP payloads → access units (Annex B), for H.264 (RFC 6184) and H.265 (RFC 7798).

The hot path of the engine: ~200 packets per camera-second. Each packet costs a few
comparisons and one slice; an access unit is joined once, when it ends (marker bit or a
new RTP timestamp). A lost packet (sequence gap) drops the frame it broke, never
raises. Keyframes that come without parameter sets get the latest ones seen (in band,
else the SDP's), so that every segment, which starts on a keyframe, decodes alone.
"""

from __future__ import annotations

from typing import NamedTuple

START = b"\x00\x00\x00\x01"
WRAP = 1 << 32
HALF = 1 << 31

# Per codec: access unit delimiter (a whole NAL unit, start code included), keyframe
# NAL types, parameter-set types in the order they go, and which of them is the SPS.
AUD = {"h264": START + b"\x09\xf0", "hevc": START + b"\x46\x01\x50"}
AUD_TYPE = {"h264": 9, "hevc": 35}
KEY_MASK = {"h264": 1 << 5, "hevc": 0xFF << 16}  # IDR; IRAP (BLA, IDR, CRA, reserved)
PARAM_TYPES = {"h264": (7, 8), "hevc": (32, 33, 34)}
SPS_TYPE = {"h264": 7, "hevc": 33}


class AccessUnit(NamedTuple):
    pts: int  # 90 kHz, from the connection's first frame, unwrapped
    key: bool
    data: bytes  # Annex B, starting with an access unit delimiter
    sps: bytes | None  # the SPS this keyframe carries (None for other frames)


def nal_kind(codec: str, header: int) -> int:
    return header & 0x1F if codec == "h264" else (header >> 1) & 0x3F


class Depacketizer:
    """One RTP stream's access units; ``push`` each packet, read ``frames``."""

    def __init__(self, codec: str, parameter_sets: list[bytes]) -> None:
        if codec not in AUD:
            raise ValueError(f"unsupported codec {codec!r}")
        self.codec = codec
        self.h264 = codec == "h264"
        self.key_mask = KEY_MASK[codec]
        self.aud_bit = 1 << AUD_TYPE[codec]
        self.sps_type = SPS_TYPE[codec]
        self.param_types = PARAM_TYPES[codec]
        self.params: dict[int, bytes] = {}
        for nal in parameter_sets:
            if nal:
                kind = nal_kind(codec, nal[0])
                if kind in self.param_types:
                    self.params[kind] = nal
        self.frames: list[AccessUnit] = []
        self.lost = 0  # frames dropped for missing packets
        self._parts: list[bytes] = []
        self._mask = 0  # the NAL types of the access unit being assembled
        self._ts: int | None = None
        self._broken = False
        self._in_fragment = False
        self._next_seq: int | None = None
        self._last32: int | None = None
        self._ext = 0

    @property
    def sps(self) -> bytes | None:
        return self.params.get(self.sps_type)

    def push(self, buf: bytes, start: int, end: int, seq: int, ts: int, marker: bool) -> None:
        """One RTP packet whose payload is ``buf[start:end]``."""
        gap = self._next_seq is not None and seq != self._next_seq
        self._next_seq = (seq + 1) & 0xFFFF
        if gap:
            self._broken = True
        if ts != self._ts:
            if self._parts or self._broken:
                self._finish()
            self._ts = ts
            if gap:
                self._broken = True  # this frame may have lost its first packets too
        if end > start:
            if self.h264:
                self._h264(buf, start, end)
            else:
                self._hevc(buf, start, end)
        if marker:
            self._finish()

    def _nal(self, nal: bytes, kind: int) -> None:
        self._parts.append(START)
        self._parts.append(nal)
        self._mask |= 1 << kind
        if kind in self.param_types:
            self.params[kind] = nal

    def _h264(self, buf: bytes, start: int, end: int) -> None:
        header = buf[start]
        kind = header & 0x1F
        if kind < 24:
            self._nal(buf[start:end], kind)
        elif kind == 28:  # FU-A
            if end - start < 2:
                self._broken = True
                return
            fu = buf[start + 1]
            if fu & 0x80:
                self._parts.append(START)
                self._parts.append(bytes(((header & 0xE0) | (fu & 0x1F),)))
                self._mask |= 1 << (fu & 0x1F)
                self._in_fragment = True
            elif not self._in_fragment:
                self._broken = True
                return
            self._parts.append(buf[start + 2 : end])
            if fu & 0x40:
                self._in_fragment = False
        elif kind == 24:  # STAP-A
            self._aggregate(buf, start + 1, end)
        # STAP-B, MTAP, FU-B: not in packetization-mode 0 or 1, ignored

    def _hevc(self, buf: bytes, start: int, end: int) -> None:
        if end - start < 3:
            self._broken = True
            return
        header = buf[start]
        kind = (header >> 1) & 0x3F
        if kind < 48:
            self._nal(buf[start:end], kind)
        elif kind == 49:  # FU
            fu = buf[start + 2]
            if fu & 0x80:
                inner = fu & 0x3F
                self._parts.append(START)
                self._parts.append(bytes(((header & 0x81) | (inner << 1), buf[start + 1])))
                self._mask |= 1 << inner
                self._in_fragment = True
            elif not self._in_fragment:
                self._broken = True
                return
            self._parts.append(buf[start + 3 : end])
            if fu & 0x40:
                self._in_fragment = False
        elif kind == 48:  # AP
            self._aggregate(buf, start + 2, end)

    def _aggregate(self, buf: bytes, pos: int, end: int) -> None:
        codec = self.codec
        while pos + 2 < end:
            size = (buf[pos] << 8) | buf[pos + 1]
            pos += 2
            if size == 0 or pos + size > end:
                self._broken = True
                return
            self._nal(buf[pos : pos + size], nal_kind(codec, buf[pos]))
            pos += size

    def _finish(self) -> None:
        parts, mask, ts = self._parts, self._mask, self._ts
        broken = self._broken or self._in_fragment
        self._parts, self._mask, self._broken, self._in_fragment = [], 0, False, False
        if ts is None:
            return
        if self._last32 is None:
            self._ext = 0
        elif ts != self._last32:
            self._ext += ((ts - self._last32 + HALF) % WRAP) - HALF
        self._last32 = ts
        if not parts:
            return
        if broken:
            self.lost += 1
            return
        key = bool(mask & self.key_mask)
        head: list[bytes] = []
        if not mask & self.aud_bit:
            head.append(AUD[self.codec])
        elif key:
            head, parts = parts[:2], parts[2:]  # the delimiter stays first
        if key:
            for kind in self.param_types:
                nal = self.params.get(kind)
                if nal is not None and not mask & (1 << kind):
                    head += (START, nal)
        data = b"".join(head + parts) if head else b"".join(parts)
        sps = self.params.get(self.sps_type) if key else None
        self.frames.append(AccessUnit(self._ext, key, data, sps))

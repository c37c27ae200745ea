"""Picture size (and frame rate when the camera states it) from an H.264 or H.265
sequence parameter set, as cameras announce it in their SDP (``sprop-parameter-sets``,
``sprop-sps``). Pure and cheap: a few dozen bits are read, nothing is decoded.

Anything unexpected gives ``None``: the recorder's own view (segment rows) then tells
the size, and the norms check waits for it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

# H.264 profiles whose SPS carries chroma format, bit depths and scaling lists.
_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})


@dataclass(frozen=True)
class PictureFormat:
    width: int
    height: int
    fps: float | None = None


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def bit(self) -> int:
        byte = self.pos >> 3
        if byte >= len(self.data):
            raise ValueError("SPS truncated")
        value = (self.data[byte] >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return value

    def bits(self, count: int) -> int:
        value = 0
        for _ in range(count):
            value = (value << 1) | self.bit()
        return value

    def skip(self, count: int) -> None:
        self.pos += count

    def ue(self) -> int:
        zeros = 0
        while self.bit() == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        return (1 << zeros) - 1 + self.bits(zeros)

    def se(self) -> int:
        code = self.ue()
        return (code + 1) // 2 if code & 1 else -(code // 2)


def unescape(nal: bytes) -> bytes:
    """The RBSP: emulation prevention bytes (00 00 03) removed."""
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _skip_scaling_list(bits: _Bits, size: int) -> None:
    last, following = 8, 8
    for _ in range(size):
        if following:
            following = (last + bits.se() + 256) % 256
        last = following or last


def _h264_chroma(bits: _Bits, profile: int) -> int:
    """Reads the high-profile fields; returns chroma_format_idc (1: 4:2:0 by default)."""
    if profile not in _HIGH_PROFILES:
        return 1
    chroma = bits.ue()
    if chroma == 3:
        bits.skip(1)
    bits.ue()  # bit depth luma
    bits.ue()  # bit depth chroma
    bits.skip(1)
    if bits.bit():  # seq_scaling_matrix_present
        for i in range(8 if chroma != 3 else 12):
            if bits.bit():
                _skip_scaling_list(bits, 16 if i < 6 else 64)
    return chroma


def _h264_vui_fps(bits: _Bits) -> float | None:
    # aspect_ratio_info_present, then aspect_ratio_idc (255: an explicit ratio follows)
    if bits.bit() and bits.bits(8) == 255:
        bits.skip(32)
    if bits.bit():  # overscan_info_present
        bits.skip(1)
    if bits.bit():  # video_signal_type_present
        bits.skip(4)
        if bits.bit():
            bits.skip(24)
    if bits.bit():  # chroma_loc_info_present
        bits.ue()
        bits.ue()
    if not bits.bit():  # timing_info_present
        return None
    units, scale = bits.bits(32), bits.bits(32)
    return round(scale / (2 * units), 3) if units else None


def parse_h264_sps(nal: bytes) -> PictureFormat | None:
    try:
        bits = _Bits(unescape(nal[1:]))
        profile = bits.bits(8)
        bits.skip(16)
        bits.ue()  # seq_parameter_set_id
        chroma = _h264_chroma(bits, profile)
        bits.ue()  # log2_max_frame_num
        poc_type = bits.ue()
        if poc_type == 0:
            bits.ue()
        elif poc_type == 1:
            bits.skip(1)
            bits.se()
            bits.se()
            for _ in range(bits.ue()):
                bits.se()
        bits.ue()  # max_num_ref_frames
        bits.skip(1)
        width_mbs, height_units = bits.ue() + 1, bits.ue() + 1
        frame_mbs_only = bits.bit()
        if not frame_mbs_only:
            bits.skip(1)
        bits.skip(1)  # direct_8x8_inference
        crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue()) if bits.bit() else (0, 0, 0, 0)
        unit_x = 1 if chroma in (0, 3) else 2
        unit_y = (1 if chroma in (0, 3) else 1 + (chroma == 1)) * (2 - frame_mbs_only)
        width = width_mbs * 16 - unit_x * (crop[0] + crop[1])
        height = (2 - frame_mbs_only) * height_units * 16 - unit_y * (crop[2] + crop[3])
        fps = _h264_vui_fps(bits) if bits.bit() else None
    except ValueError:
        return None
    return PictureFormat(width, height, fps) if width > 0 and height > 0 else None


def _skip_profile_tier_level(bits: _Bits, sub_layers: int) -> None:
    bits.skip(88 + 8)  # general profile (88 bits) and level
    flags = [(bits.bit(), bits.bit()) for _ in range(sub_layers)]
    if sub_layers:
        bits.skip(2 * (8 - sub_layers))
    for profile_present, level_present in flags:
        bits.skip(88 * profile_present + 8 * level_present)


def parse_h265_sps(nal: bytes) -> PictureFormat | None:
    try:
        bits = _Bits(unescape(nal[2:]))
        bits.skip(4)  # video parameter set id
        sub_layers = bits.bits(3)
        bits.skip(1)
        _skip_profile_tier_level(bits, sub_layers)
        bits.ue()  # seq_parameter_set_id
        chroma = bits.ue()
        if chroma == 3:
            bits.skip(1)
        width, height = bits.ue(), bits.ue()
        if bits.bit():  # conformance window
            left, right, top, bottom = bits.ue(), bits.ue(), bits.ue(), bits.ue()
            unit_x = 2 if chroma in (1, 2) else 1
            unit_y = 2 if chroma == 1 else 1
            width -= unit_x * (left + right)
            height -= unit_y * (top + bottom)
    except ValueError:
        return None
    return PictureFormat(width, height) if width > 0 and height > 0 else None


def from_sdp_parameter(codec: str, value: str) -> PictureFormat | None:
    """``value``: the base64 SPS from the SDP (the first of a comma list for H.264)."""
    first = value.split(",")[0].strip()
    try:
        nal = base64.b64decode(first + "=" * (-len(first) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None
    if len(nal) < 4:
        return None
    if codec == "H264" and nal[0] & 0x1F == 7:
        return parse_h264_sps(nal)
    if codec == "H265" and (nal[0] >> 1) & 0x3F == 33:
        return parse_h265_sps(nal)
    return None

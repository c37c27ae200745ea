"""What an H.264 or H.265 sequence parameter set says: the picture size, the frame
rate when the camera states it, and for H.264 what an MP4 sample description needs
(profile, level, chroma format, bit depths, pixel aspect ratio). Pure and cheap: a
few dozen bits are read, nothing is decoded.

Used by the recorder (a new segment when the size changes), the supervision (the
size a camera announces in its SDP, ``sprop-parameter-sets`` / ``sprop-sps``) and the
evidence export (the MP4's ``avcC``). ``parse_*`` give ``None`` on anything
unexpected; ``read_h264_sps`` raises ValueError.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

# H.264 profiles whose SPS carries chroma format, bit depths and scaling lists.
HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
# Table E-1 of H.264: sample aspect ratios by aspect_ratio_idc.
ASPECTS = {
    1: (1, 1), 2: (12, 11), 3: (10, 11), 4: (16, 11), 5: (40, 33), 6: (24, 11), 7: (20, 11),
    8: (32, 11), 9: (80, 33), 10: (18, 11), 11: (15, 11), 12: (64, 33), 13: (160, 99),
    14: (4, 3), 15: (3, 2), 16: (2, 1),
}  # fmt: skip


@dataclass(frozen=True)
class PictureFormat:
    width: int
    height: int
    fps: float | None = None


@dataclass(frozen=True)
class H264Sps:
    profile: int
    compatibility: int
    level: int
    width: int
    height: int
    chroma_format: int
    bit_depth_luma: int
    bit_depth_chroma: int
    aspect: tuple[int, int]  # (0, 1) when not said
    fps: float | None


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


def _h264_chroma(bits: _Bits, profile: int) -> tuple[int, int, int]:
    """Reads the high-profile fields: chroma_format_idc and the luma and chroma bit
    depths (4:2:0, 8 bits by default)."""
    if profile not in HIGH_PROFILES:
        return 1, 8, 8
    chroma = bits.ue()
    if chroma == 3:
        bits.skip(1)  # separate_colour_plane: the cropping units are the same
    depth_luma, depth_chroma = bits.ue() + 8, bits.ue() + 8
    bits.skip(1)
    if bits.bit():  # seq_scaling_matrix_present
        for i in range(8 if chroma != 3 else 12):
            if bits.bit():
                _skip_scaling_list(bits, 16 if i < 6 else 64)
    return chroma, depth_luma, depth_chroma


def _h264_vui(bits: _Bits) -> tuple[tuple[int, int], float | None]:
    """The pixel aspect ratio and the frame rate, where the VUI gives them."""
    aspect = (0, 1)
    if bits.bit():  # aspect_ratio_info_present
        idc = bits.bits(8)
        aspect = (bits.bits(16), bits.bits(16)) if idc == 255 else ASPECTS.get(idc, (0, 1))
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
        return aspect, None
    units, scale = bits.bits(32), bits.bits(32)
    return aspect, (round(scale / (2 * units), 3) if units else None)


def read_h264_sps(nal: bytes) -> H264Sps:
    """An H.264 SPS NAL unit (header byte included); ValueError if it cannot be read."""
    bits = _Bits(unescape(nal[1:]))
    profile, compatibility, level = bits.bits(8), bits.bits(8), bits.bits(8)
    bits.ue()  # seq_parameter_set_id
    chroma, depth_luma, depth_chroma = _h264_chroma(bits, profile)
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
    aspect, fps = _h264_vui(bits) if bits.bit() else ((0, 1), None)
    return H264Sps(
        profile, compatibility, level, width, height, chroma, depth_luma, depth_chroma, aspect, fps
    )


def parse_h264_sps(nal: bytes) -> PictureFormat | None:
    try:
        found = read_h264_sps(nal)
    except ValueError:
        return None
    if found.width <= 0 or found.height <= 0:
        return None
    return PictureFormat(found.width, found.height, found.fps)


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


def picture_size(codec: str, nal: bytes) -> tuple[int, int] | None:
    """``codec``: "h264" or "hevc" (FFmpeg's names). None when the SPS cannot be read."""
    found = parse_h264_sps(nal) if codec == "h264" else parse_h265_sps(nal)
    return (found.width, found.height) if found is not None else None


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

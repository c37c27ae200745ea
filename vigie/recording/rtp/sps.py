"""The picture size written in an H.264 or H.265 sequence parameter set.

Stream copy never decodes a picture, yet every segment row gives its size: it is read
here from the SPS NAL unit (exp-Golomb fields, ITU-T H.264 7.3.2.1.1 and H.265
7.3.2.2). Only the fields before the size are parsed.
"""

from __future__ import annotations


class BitReader:
    def __init__(self, rbsp: bytes) -> None:
        self.value = int.from_bytes(rbsp, "big")
        self.left = len(rbsp) * 8

    def bits(self, count: int) -> int:
        if count > self.left:
            raise ValueError("SPS too short")
        self.left -= count
        return (self.value >> self.left) & ((1 << count) - 1)

    def ue(self) -> int:
        zeros = 0
        while self.bits(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad exp-Golomb code")
        return (1 << zeros) - 1 + self.bits(zeros)

    def se(self) -> int:
        code = self.ue()
        return (code + 1) // 2 if code & 1 else -(code // 2)


def unescape(nal: bytes) -> bytes:
    """The RBSP: emulation prevention bytes (00 00 03) removed."""
    if b"\x00\x00\x03" not in nal:
        return nal
    out = bytearray()
    at = 0
    while True:
        found = nal.find(b"\x00\x00\x03", at)
        if found == -1:
            out += nal[at:]
            return bytes(out)
        out += nal[at : found + 2]
        at = found + 3


def _skip_scaling_list(reader: BitReader, size: int) -> None:
    last = following = 8
    for _ in range(size):
        if following:
            following = (last + reader.se() + 256) % 256
        last = following or last


def h264_size(nal: bytes) -> tuple[int, int]:
    """Width and height of an H.264 SPS NAL unit (header byte included)."""
    reader = BitReader(unescape(nal[1:]))
    profile = reader.bits(8)
    reader.bits(16)  # constraint flags, level
    reader.ue()  # seq_parameter_set_id
    chroma = 1
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        chroma = reader.ue()
        if chroma == 3:
            reader.bits(1)  # separate_colour_plane_flag
        reader.ue()  # bit depths
        reader.ue()
        reader.bits(1)
        if reader.bits(1):  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma != 3 else 12):
                if reader.bits(1):
                    _skip_scaling_list(reader, 16 if i < 6 else 64)
    reader.ue()  # log2_max_frame_num_minus4
    poc_type = reader.ue()
    if poc_type == 0:
        reader.ue()
    elif poc_type == 1:
        reader.bits(1)
        reader.se()
        reader.se()
        for _ in range(reader.ue()):
            reader.se()
    reader.ue()  # max_num_ref_frames
    reader.bits(1)
    width_mbs = reader.ue() + 1
    height_units = reader.ue() + 1
    frame_mbs_only = reader.bits(1)
    if not frame_mbs_only:
        reader.bits(1)
    reader.bits(1)  # direct_8x8_inference_flag
    width, height = width_mbs * 16, (2 - frame_mbs_only) * height_units * 16
    if reader.bits(1):  # frame_cropping_flag
        left, right, top, bottom = reader.ue(), reader.ue(), reader.ue(), reader.ue()
        unit_x = 2 if chroma in (1, 2) else 1
        unit_y = (2 if chroma == 1 else 1) * (2 - frame_mbs_only)
        width -= unit_x * (left + right)
        height -= unit_y * (top + bottom)
    return width, height


def _skip_profile_tier_level(reader: BitReader, sub_layers: int) -> None:
    reader.bits(8)  # profile space, tier, profile idc
    reader.bits(32)  # compatibility flags
    reader.bits(48)  # progressive/interlaced/... flags and reserved bits
    reader.bits(8)  # general_level_idc
    present = [(reader.bits(1), reader.bits(1)) for _ in range(sub_layers)]
    if sub_layers:
        reader.bits(2 * (8 - sub_layers))
    for profile, level in present:
        if profile:
            reader.bits(88)
        if level:
            reader.bits(8)


def h265_size(nal: bytes) -> tuple[int, int]:
    """Width and height of an H.265 SPS NAL unit (2-byte header included)."""
    reader = BitReader(unescape(nal[2:]))
    reader.bits(4)  # sps_video_parameter_set_id
    sub_layers = reader.bits(3)
    reader.bits(1)
    _skip_profile_tier_level(reader, sub_layers)
    reader.ue()  # sps_seq_parameter_set_id
    chroma = reader.ue()
    if chroma == 3:
        reader.bits(1)
    width, height = reader.ue(), reader.ue()
    if reader.bits(1):  # conformance_window_flag
        left, right, top, bottom = reader.ue(), reader.ue(), reader.ue(), reader.ue()
        unit_x = 2 if chroma in (1, 2) else 1
        unit_y = 2 if chroma == 1 else 1
        width -= unit_x * (left + right)
        height -= unit_y * (top + bottom)
    return width, height


def picture_size(codec: str, nal: bytes) -> tuple[int, int] | None:
    """``codec``: "h264" or "hevc". None when the SPS cannot be read."""
    try:
        return h264_size(nal) if codec == "h264" else h265_size(nal)
    except (ValueError, IndexError):
        return None

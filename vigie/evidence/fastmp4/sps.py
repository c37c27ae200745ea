"""What the MP4 sample description needs from an H.264 sequence parameter set: the
picture size, the chroma format and bit depths (avcC of the High profiles) and the
pixel aspect ratio."""

from __future__ import annotations

from dataclasses import dataclass

from vigie.evidence.fastmp4.ts import Unsupported

# Table E-1 of H.264: sample aspect ratios by aspect_ratio_idc.
ASPECTS = {
    1: (1, 1), 2: (12, 11), 3: (10, 11), 4: (16, 11), 5: (40, 33), 6: (24, 11), 7: (20, 11),
    8: (32, 11), 9: (80, 33), 10: (18, 11), 11: (15, 11), 12: (64, 33), 13: (160, 99),
    14: (4, 3), 15: (3, 2), 16: (2, 1),
}  # fmt: skip
HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


@dataclass(frozen=True)
class Sps:
    profile: int
    compatibility: int
    level: int
    width: int
    height: int
    chroma_format: int
    bit_depth_luma: int
    bit_depth_chroma: int
    aspect: tuple[int, int]


class _Bits:
    def __init__(self, rbsp: bytes) -> None:
        self.value = int.from_bytes(rbsp, "big")
        self.left = len(rbsp) * 8

    def u(self, n: int) -> int:
        if n > self.left:
            raise Unsupported("SPS cut short")
        self.left -= n
        return (self.value >> self.left) & ((1 << n) - 1)

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise Unsupported("bad exp-Golomb code in the SPS")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


def _rbsp(nal: bytes) -> bytes:
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _skip_scaling_lists(bits: _Bits, count: int) -> None:
    for n in range(count):
        if bits.u(1):
            last, following = 8, 8
            for _ in range(16 if n < 6 else 64):
                if following:
                    following = (last + bits.se() + 256) % 256
                last = following or last


def parse(nal: bytes) -> Sps:
    bits = _Bits(_rbsp(nal[1:]))
    profile, compatibility, level = bits.u(8), bits.u(8), bits.u(8)
    bits.ue()  # seq_parameter_set_id
    chroma, depth_luma, depth_chroma, separate = 1, 8, 8, 0
    if profile in HIGH_PROFILES:
        chroma = bits.ue()
        if chroma == 3:
            separate = bits.u(1)
        depth_luma, depth_chroma = bits.ue() + 8, bits.ue() + 8
        bits.u(1)  # qpprime_y_zero_transform_bypass_flag
        if bits.u(1):
            _skip_scaling_lists(bits, 8 if chroma != 3 else 12)
    bits.ue()  # log2_max_frame_num_minus4
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()
    elif poc_type == 1:
        bits.u(1)
        bits.se()
        bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs, height_units = bits.ue() + 1, bits.ue() + 1
    frame_mbs_only = bits.u(1)
    if not frame_mbs_only:
        bits.u(1)
    bits.u(1)  # direct_8x8_inference_flag
    width, height = width_mbs * 16, height_units * 16 * (2 - frame_mbs_only)
    if bits.u(1):  # frame_cropping_flag
        left, right, top, bottom = bits.ue(), bits.ue(), bits.ue(), bits.ue()
        array_type = 0 if separate else chroma
        crop_x = 1 if array_type == 0 else (2 if chroma in (1, 2) else 1)
        crop_y = (1 if array_type == 0 else (2 if chroma == 1 else 1)) * (2 - frame_mbs_only)
        width -= crop_x * (left + right)
        height -= crop_y * (top + bottom)
    aspect = (0, 1)
    if bits.u(1) and bits.u(1):  # VUI, then aspect_ratio_info_present_flag
        idc = bits.u(8)
        aspect = (bits.u(16), bits.u(16)) if idc == 255 else ASPECTS.get(idc, (0, 1))
    return Sps(
        profile, compatibility, level, width, height, chroma, depth_luma, depth_chroma, aspect
    )


def avcc(sps_nal: bytes, pps_nal: bytes, info: Sps) -> bytes:
    """The AVCDecoderConfigurationRecord of one SPS and one PPS, as FFmpeg writes it."""
    out = bytes([1, info.profile, info.compatibility, info.level, 0xFF, 0xE1])
    out += len(sps_nal).to_bytes(2, "big") + sps_nal
    out += b"\x01" + len(pps_nal).to_bytes(2, "big") + pps_nal
    if info.profile in (100, 110, 122, 144):
        out += bytes(
            [
                0xFC | info.chroma_format,
                0xF8 | (info.bit_depth_luma - 8),
                0xF8 | (info.bit_depth_chroma - 8),
                0,
            ]
        )
    return out

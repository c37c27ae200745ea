"""The MP4 sample description's view of an H.264 sequence parameter set: read by the
recorder's parser (``vigie.recording.sps``), and the ``avcC`` record FFmpeg writes."""

from __future__ import annotations

from vigie.evidence.fastmp4.ts import Unsupported
from vigie.recording.sps import H264Sps, read_h264_sps

__all__ = ["H264Sps", "avcc", "parse"]


def parse(nal: bytes) -> H264Sps:
    try:
        return read_h264_sps(nal)
    except ValueError as exc:
        raise Unsupported(f"the SPS cannot be read ({exc})") from exc


def avcc(sps_nal: bytes, pps_nal: bytes, info: H264Sps) -> bytes:
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

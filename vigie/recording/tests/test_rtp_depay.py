"""RTP → access units (RFC 6184, RFC 7798): reassembly, loss, timestamps, parameter sets."""

from __future__ import annotations

import pytest

from vigie.recording.rtp.depay import AUD, START, Depacketizer

SPS, PPS = b"\x67\x42\x00\x1f\xaa", b"\x68\xce\x3c\x80"
IDR = b"\x65" + bytes(range(200))
SLICE = b"\x41" + bytes(range(50, 150))


class Feed:
    """Packets as the engine gives them: a buffer and the payload's bounds."""

    def __init__(self, depay: Depacketizer, seq: int = 0) -> None:
        self.depay = depay
        self.seq = seq

    def __call__(self, payload: bytes, ts: int, marker: bool = False, skip: int = 0) -> None:
        self.seq = (self.seq + skip) & 0xFFFF
        buf = b"junk" + payload + b"tail"
        self.depay.push(buf, 4, 4 + len(payload), self.seq, ts, marker)
        self.seq = (self.seq + 1) & 0xFFFF


def fu_a(nal: bytes, size: int) -> list[bytes]:
    header, body = nal[0], nal[1:]
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    indicator = bytes([(header & 0xE0) | 28])
    out = []
    for i, chunk in enumerate(chunks):
        flags = (0x80 if i == 0 else 0) | (0x40 if i == len(chunks) - 1 else 0)
        out.append(indicator + bytes([flags | (header & 0x1F)]) + chunk)
    return out


def stap_a(*nals: bytes) -> bytes:
    return b"\x18" + b"".join(len(n).to_bytes(2, "big") + n for n in nals)


def annexb(*nals: bytes) -> bytes:
    return b"".join(START + n for n in nals)


def test_single_nal_units_stap_a_and_fu_a_make_one_access_unit() -> None:
    depay = Depacketizer("h264", [])
    feed = Feed(depay)
    feed(stap_a(SPS, PPS), 1000)
    for part in fu_a(IDR, 60):
        feed(part, 1000)
    feed(SLICE, 1000, marker=True)
    [unit] = depay.frames
    assert unit.key and unit.pts == 0 and unit.sps == SPS
    assert unit.data == AUD["h264"] + annexb(SPS, PPS, IDR, SLICE)


def test_a_new_timestamp_ends_an_access_unit_without_marker() -> None:
    depay = Depacketizer("h264", [])
    feed = Feed(depay)
    feed(SLICE, 0)
    feed(SLICE, 3600)
    feed(SLICE, 7200, marker=True)
    assert [u.pts for u in depay.frames] == [0, 3600, 7200]
    assert not any(u.key for u in depay.frames)
    assert all(u.sps is None for u in depay.frames)


def test_keyframe_without_parameter_sets_gets_the_sdp_ones_after_its_delimiter() -> None:
    depay = Depacketizer("h264", [SPS, PPS])
    feed = Feed(depay)
    aud = b"\x09\xf0"
    feed(stap_a(aud, IDR), 0, marker=True)
    feed(IDR, 3600, marker=True)  # no delimiter either
    first, second = depay.frames
    assert first.data == annexb(aud, SPS, PPS, IDR)
    assert second.data == AUD["h264"] + annexb(SPS, PPS, IDR)
    assert first.sps == SPS


def test_in_band_parameter_sets_replace_the_sdp_ones() -> None:
    new_sps = b"\x67\x64\x00\x28\xbb"
    depay = Depacketizer("h264", [SPS, PPS])
    feed = Feed(depay)
    feed(stap_a(new_sps, PPS, IDR), 0, marker=True)
    feed(IDR, 3600, marker=True)
    assert depay.frames[0].sps == new_sps
    assert depay.frames[1].data == AUD["h264"] + annexb(new_sps, PPS, IDR)


def test_a_lost_packet_drops_the_frame_it_broke_only() -> None:
    depay = Depacketizer("h264", [SPS, PPS])
    feed = Feed(depay)
    parts = fu_a(IDR, 40)
    feed(parts[0], 0)
    feed(parts[1], 0)
    feed(parts[3], 0, skip=1)  # parts[2] lost
    for part in parts[4:]:
        feed(part, 0)
    feed(SLICE, 0, marker=True)
    feed(SLICE, 3600, marker=True)
    feed(SLICE, 7200, marker=True)
    assert [u.pts for u in depay.frames] == [3600, 7200]
    assert depay.lost == 1


def test_a_lost_marker_drops_both_frames_around_the_gap() -> None:
    depay = Depacketizer("h264", [])
    feed = Feed(depay)
    feed(SLICE, 0)
    feed(SLICE, 3600, skip=2)  # the end of frame 0 and the start of frame 1 lost
    feed(SLICE, 3600, marker=True)
    feed(SLICE, 7200, marker=True)
    assert [u.pts for u in depay.frames] == [7200]
    assert depay.lost == 2


def test_fragment_continuation_without_start_is_dropped() -> None:
    depay = Depacketizer("h264", [])
    feed = Feed(depay)
    parts = fu_a(IDR, 40)
    for part in parts[1:]:
        feed(part, 0)
    feed(SLICE, 3600, marker=True)
    assert [u.pts for u in depay.frames] == [3600]


@pytest.mark.parametrize("start", [0xFFFF_F000, 0x7FFF_F000])
def test_timestamps_unwrap_across_32_bits(start: int) -> None:
    depay = Depacketizer("h264", [])
    feed = Feed(depay, seq=0xFFFE)  # the sequence number wraps too
    for i in range(4):
        feed(SLICE, (start + i * 0x800) & 0xFFFF_FFFF, marker=True)
    assert [u.pts for u in depay.frames] == [0, 0x800, 0x1000, 0x1800]
    assert depay.lost == 0


def test_truncated_aggregation_never_raises() -> None:
    depay = Depacketizer("h264", [])
    feed = Feed(depay)
    feed(b"\x18\x00\xff\x65\x00", 0, marker=True)  # says 255 bytes, has 2
    feed(b"\x1c", 3600, marker=True)  # an FU-A header cut short
    feed(SLICE, 7200, marker=True)
    assert [u.pts for u in depay.frames] == [7200]


VPS, HSPS, HPPS = b"\x40\x01\x0c\x01", b"\x42\x01\x01\x01", b"\x44\x01\xc0\xf3"
CRA = b"\x2a\x01" + bytes(range(120))  # type 21
TRAIL = b"\x02\x01" + bytes(range(30))  # type 1


def hevc_fu(nal: bytes, size: int) -> list[bytes]:
    kind = (nal[0] >> 1) & 0x3F
    indicator = bytes([(nal[0] & 0x81) | (49 << 1), nal[1]])
    body = nal[2:]
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    out = []
    for i, chunk in enumerate(chunks):
        flags = (0x80 if i == 0 else 0) | (0x40 if i == len(chunks) - 1 else 0)
        out.append(indicator + bytes([flags | kind]) + chunk)
    return out


def test_hevc_aggregation_and_fragmentation() -> None:
    depay = Depacketizer("hevc", [])
    feed = Feed(depay)
    ap = b"\x60\x01" + b"".join(len(n).to_bytes(2, "big") + n for n in (VPS, HSPS, HPPS))
    feed(ap, 90)
    for part in hevc_fu(CRA, 50):
        feed(part, 90, marker=part is hevc_fu(CRA, 50)[-1])
    feed(TRAIL, 3690, marker=True)
    key, other = depay.frames
    assert key.key and key.sps == HSPS
    assert key.data == AUD["hevc"] + annexb(VPS, HSPS, HPPS, CRA)
    assert not other.key and other.data == AUD["hevc"] + annexb(TRAIL)


def test_hevc_keyframe_gets_vps_sps_pps_from_the_sdp() -> None:
    depay = Depacketizer("hevc", [VPS, HSPS, HPPS])
    Feed(depay)(CRA, 0, marker=True)
    assert depay.frames[0].data == AUD["hevc"] + annexb(VPS, HSPS, HPPS, CRA)

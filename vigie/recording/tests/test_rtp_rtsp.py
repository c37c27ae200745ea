"""The RTSP client without a network: URL, SDP, authentication, the request sequence."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from vigie.recording.rtp.rtsp import (
    Credentials,
    NoVideo,
    Response,
    RtspClient,
    RtspError,
    parse_message,
    parse_sdp,
    parse_url,
    resolve_control,
)

SPS, PPS = b"\x67\x42\xc0\x1f\xd9", b"\x68\xcb\x83\xcb\x20"
H264_SDP = f"""v=0
o=- 1 1 IN IP4 127.0.0.1
s=cam
a=control:*
m=audio 0 RTP/AVP 97
a=rtpmap:97 MPEG4-GENERIC/48000/2
a=control:stream=1
m=video 0 RTP/AVP 96
a=rtpmap:96 H264/90000
a=fmtp:96 packetization-mode=1;profile-level-id=42c01f;sprop-parameter-sets={
    base64.b64encode(SPS).decode()
},{base64.b64encode(PPS).decode().rstrip("=")}
a=control:stream=0
"""
H265_SDP = """v=0
m=video 0 RTP/AVP 98
a=rtpmap:98 H265/90000
a=fmtp:98 sprop-vps=QAEMAf//;sprop-sps=QgEBAWA=;sprop-pps=RAHA8vA=
a=control:rtsp://10.0.0.5/media/video1
"""


def test_url_credentials_are_percent_decoded_and_kept_out_of_requests() -> None:
    url = parse_url("rtsp://ad%40min:p%3Ass%2Fw@10.0.0.1:8554/live/main?profile=1")
    assert (url.user, url.password) == ("ad@min", "p:ss/w")
    assert url.url == "rtsp://10.0.0.1:8554/live/main?profile=1"
    assert (url.host, url.port) == ("10.0.0.1", 8554)
    assert parse_url("rtsp://cam.local/x").port == 554
    with pytest.raises(ValueError):
        parse_url("rtsps://cam.local/x")


def test_sdp_first_video_stream_with_its_parameter_sets() -> None:
    track = parse_sdp(H264_SDP)
    assert (track.codec, track.payload_type, track.control) == ("h264", 96, "stream=0")
    assert track.session_control == "*"
    assert track.parameter_sets == (SPS, PPS)  # unpadded base64 accepted


def test_sdp_h265_sets_in_order() -> None:
    track = parse_sdp(H265_SDP)
    assert track.codec == "hevc"
    assert [n[0] >> 1 & 0x3F for n in track.parameter_sets] == [32, 33, 34]


def test_sdp_without_video_or_with_another_codec() -> None:
    with pytest.raises(NoVideo, match="no video stream"):
        parse_sdp("v=0\nm=audio 0 RTP/AVP 97\na=rtpmap:97 MPEG4-GENERIC/48000/2\n")
    with pytest.raises(RtspError, match="unsupported video codec JPEG"):
        parse_sdp("v=0\nm=video 0 RTP/AVP 26\na=rtpmap:26 JPEG/90000\n")


@pytest.mark.parametrize(
    ("base", "control", "expected"),
    [
        ("rtsp://h/cam1/", "stream=0", "rtsp://h/cam1/stream=0"),
        ("rtsp://h/cam1", "trackID=1", "rtsp://h/cam1/trackID=1"),
        ("rtsp://h/cam1/", "rtsp://other/x", "rtsp://other/x"),
        ("rtsp://h/cam1/", "*", "rtsp://h/cam1/"),
        ("rtsp://h/cam1/", None, "rtsp://h/cam1/"),
    ],
)
def test_control_urls(base: str, control: str | None, expected: str) -> None:
    assert resolve_control(base, control) == expected


def test_messages_are_parsed_only_once_complete() -> None:
    raw = b"RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 5\r\n\r\nhello$\x00"
    assert parse_message(raw[:20]) == (None, 0)
    assert parse_message(raw[:-3]) == (None, 0)
    message, end = parse_message(raw)
    assert message is not None and message.status == 200 and message.cseq == 2
    assert message.body == b"hello" and raw[end:] == b"$\x00"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def test_digest_answer_with_and_without_qop() -> None:
    creds = Credentials("user", "pa ss")
    assert creds.accept(['Basic realm="x"', 'Digest realm="cam", nonce="abc", qop="auth"'])
    header = creds.header("DESCRIBE", "rtsp://h/cam")
    assert header is not None and header.startswith("Digest ")
    fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header[7:]))
    ha1, ha2 = _md5("user:cam:pa ss"), _md5("DESCRIBE:rtsp://h/cam")
    expected = _md5(f"{ha1}:abc:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
    assert fields["response"] == expected and fields["nc"] == "00000001"
    plain = Credentials("user", "pa ss")
    plain.accept(['Digest realm="cam", nonce="n2"'])
    fields = dict(re.findall(r'(\w+)="?([^",]*)"?', plain.header("SETUP", "u") or ""))
    assert fields["response"] == _md5(f"{ha1}:n2:{_md5('SETUP:u')}")
    basic = Credentials("user", "pa ss")
    basic.accept(['Basic realm="x"'])
    assert basic.header("DESCRIBE", "u") == "Basic " + base64.b64encode(b"user:pa ss").decode()


def answer(
    status: int, cseq: int, headers: dict[str, str] | None = None, body: str = ""
) -> Response:
    values = {k.lower(): [v] for k, v in {"CSeq": str(cseq), **(headers or {})}.items()}
    return Response(status, "OK" if status == 200 else "Unauthorized", values, body.encode())


def test_the_request_sequence_with_digest_authentication() -> None:
    client = RtspClient(parse_url("rtsp://u:p@10.0.0.1/cam1"))
    assert client.start().startswith(b"OPTIONS rtsp://10.0.0.1/cam1 RTSP/1.0\r\nCSeq: 1\r\n")
    describe = client.on_response(answer(200, 1, {"Public": "DESCRIBE, SETUP, GET_PARAMETER"}))
    assert describe is not None and describe.startswith(b"DESCRIBE rtsp://10.0.0.1/cam1 ")
    challenge = {"WWW-Authenticate": 'Digest realm="r", nonce="n"'}
    again = client.on_response(answer(401, 2, challenge))
    assert again is not None and b'Authorization: Digest username="u"' in again
    setup = client.on_response(answer(200, 3, {"Content-Base": "rtsp://10.0.0.1/cam1/"}, H264_SDP))
    assert setup is not None and setup.startswith(b"SETUP rtsp://10.0.0.1/cam1/stream=0 ")
    assert b"Transport: RTP/AVP/TCP;unicast;interleaved=0-1" in setup
    assert b"Authorization: Digest" in setup
    transport = {"Session": "ab12;timeout=20", "Transport": "RTP/AVP/TCP;interleaved=2-3"}
    play = client.on_response(answer(200, 4, transport))
    assert play is not None and play.startswith(b"PLAY rtsp://10.0.0.1/cam1/ ")
    assert b"Session: ab12\r\n" in play
    assert client.on_response(answer(200, 5)) is None and client.playing
    assert (client.rtp_channel, client.session_timeout_s) == (2, 20)
    assert client.keepalive().startswith(b"GET_PARAMETER rtsp://10.0.0.1/cam1/ ")
    assert client.teardown().startswith(b"TEARDOWN ")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("rtsp://10.0.0.1/cam1", "URL has none"),
        ("rtsp://u:wrong@10.0.0.1/cam1", "wrong user name or password"),
    ],
)
def test_a_refused_login_says_401_and_password_without_the_password(url: str, words: str) -> None:
    client = RtspClient(parse_url(url))
    client.start()
    client.on_response(answer(200, 1))
    challenge = {"WWW-Authenticate": 'Digest realm="r", nonce="n"'}
    with pytest.raises(RtspError) as refused:
        for cseq in (2, 3):
            client.on_response(answer(401, cseq, challenge))
    message = str(refused.value)
    assert "401 Unauthorized" in message and words in message
    assert "password" in message and "wrong@" not in message

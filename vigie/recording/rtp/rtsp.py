"""The RTSP client of the RTP engine: URL, messages, SDP, authentication, and the
request sequence OPTIONS → DESCRIBE → SETUP (RTP/AVP/TCP interleaved) → PLAY, then
keepalives and TEARDOWN. No socket here: the engine feeds responses in and sends the
requests this returns, so every step is tested without a network (RFC 2326).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

USER_AGENT = "Vigie"
DEFAULT_PORT = 554
DEFAULT_SESSION_TIMEOUT_S = 60
CODECS = {"H264": "h264", "H265": "hevc"}


class RtspError(Exception):
    """The camera refused or answered something this client cannot use (the message
    is meant for an operator, and never holds credentials)."""


class NoVideo(RtspError):
    pass


@dataclass(frozen=True)
class CameraUrl:
    url: str  # without credentials: what requests carry
    host: str
    port: int
    user: str | None = None
    password: str | None = None


def parse_url(url: str) -> CameraUrl:
    parts = urlsplit(url)
    if parts.scheme.lower() != "rtsp" or not parts.hostname:
        raise ValueError("not an rtsp:// URL")
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    clean = f"rtsp://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return CameraUrl(clean, host, parts.port or DEFAULT_PORT, user, password)


# ---------------------------------------------------------------- messages


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])

    @property
    def cseq(self) -> int | None:
        value = self.header("CSeq")
        return int(value) if value and value.strip().isdigit() else None


def parse_message(buf: bytes, at: int = 0) -> tuple[Response | None, int]:
    """A complete text message at ``buf[at:]``: (message, offset after it), or
    (None, at) if it has not fully arrived. Requests from the server (rare) come back
    with status 0."""
    end = buf.find(b"\r\n\r\n", at)
    if end == -1:
        if len(buf) - at > 65536:
            raise RtspError("garbled answer from the camera (no end of headers)")
        return None, at
    lines = buf[at:end].decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    length = 0
    with contextlib.suppress(ValueError):
        length = int(headers.get("content-length", ["0"])[0])
    body_end = end + 4 + length
    if len(buf) < body_end:
        return None, at
    status, reason = 0, lines[0]
    first = lines[0].split(" ", 2)
    if first[0].startswith("RTSP/") and len(first) >= 2 and first[1].isdigit():
        status, reason = int(first[1]), first[2] if len(first) > 2 else ""
    return Response(status, reason, headers, buf[end + 4 : body_end]), body_end


# ---------------------------------------------------------------- SDP


@dataclass(frozen=True)
class VideoTrack:
    codec: str  # "h264" or "hevc" (FFmpeg's names, as index.Media)
    payload_type: int
    control: str  # the media's a=control (maybe relative)
    session_control: str | None
    parameter_sets: tuple[bytes, ...]


def _b64(text: str) -> bytes | None:
    text = text.strip()
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _fmtp(value: str) -> dict[str, str]:
    params = {}
    for item in value.split(";"):
        key, sep, val = item.strip().partition("=")
        if sep:
            params[key.strip().lower()] = val.strip()
    return params


def parse_sdp(text: str) -> VideoTrack:
    """The first video stream of a session description (RFC 4566)."""
    session_control: str | None = None
    media: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            media.append([line])
        elif media:
            media[-1].append(line)
        elif line.startswith("a=control:"):
            session_control = line[len("a=control:") :].strip()
    video = next((block for block in media if block[0].startswith("m=video ")), None)
    if video is None:
        raise NoVideo("no video stream in the source")
    formats = video[0].split()[3:]
    rtpmap: dict[str, str] = {}
    fmtp: dict[str, dict[str, str]] = {}
    control = ""
    for line in video[1:]:
        if line.startswith("a=rtpmap:"):
            pt, _, what = line[len("a=rtpmap:") :].partition(" ")
            rtpmap[pt] = what.split("/")[0].strip().upper()
        elif line.startswith("a=fmtp:"):
            pt, _, params = line[len("a=fmtp:") :].partition(" ")
            fmtp[pt] = _fmtp(params)
        elif line.startswith("a=control:"):
            control = line[len("a=control:") :].strip()
    for pt in formats:
        codec = CODECS.get(rtpmap.get(pt, ""))
        if codec is not None and pt.isdigit():
            return VideoTrack(codec, int(pt), control, session_control, _sprop(codec, fmtp.get(pt)))
    names = ", ".join(sorted({rtpmap.get(pt, pt) for pt in formats})) or "unknown"
    raise RtspError(f"unsupported video codec {names} (the rtp engine records H.264 and H.265)")


def _sprop(codec: str, params: dict[str, str] | None) -> tuple[bytes, ...]:
    if not params:
        return ()
    keys = ["sprop-parameter-sets"] if codec == "h264" else ["sprop-vps", "sprop-sps", "sprop-pps"]
    found = []
    for key in keys:
        for item in params.get(key, "").split(","):
            nal = _b64(item) if item.strip() else None
            if nal:
                found.append(nal)
    return tuple(found)


def resolve_control(base: str, control: str | None) -> str:
    if not control or control == "*":
        return base
    if re.match(r"^[a-z][a-z0-9+.-]*://", control, re.I):
        return control
    return base + ("" if base.endswith("/") else "/") + control.lstrip("/")


# ---------------------------------------------------------------- authentication

_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass
class Credentials:
    user: str
    password: str
    scheme: str = ""
    params: dict[str, str] = field(default_factory=dict)
    count: int = 0

    def accept(self, challenges: list[str]) -> bool:
        """Pick the strongest challenge offered (Digest, else Basic)."""
        for want in ("digest", "basic"):
            for challenge in challenges:
                scheme, _, rest = challenge.strip().partition(" ")
                if scheme.lower() == want:
                    self.scheme = want
                    self.params = {m[1].lower(): m[2] or m[3] for m in _PARAM.finditer(rest)}
                    self.count = 0
                    return True
        return False

    def header(self, method: str, uri: str) -> str | None:
        if self.scheme == "basic":
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            return f"Basic {token}"
        if self.scheme != "digest":
            return None
        realm, nonce = self.params.get("realm", ""), self.params.get("nonce", "")
        ha1 = _md5(f"{self.user}:{realm}:{self.password}")
        ha2 = _md5(f"{method}:{uri}")
        fields = [f'username="{self.user}"', f'realm="{realm}"', f'nonce="{nonce}"']
        fields.append(f'uri="{uri}"')
        qops = [q.strip() for q in self.params.get("qop", "").split(",")]
        if "auth" in qops:
            self.count += 1
            nc, cnonce = f"{self.count:08x}", os.urandom(8).hex()
            digest = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            fields += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
        else:
            digest = _md5(f"{ha1}:{nonce}:{ha2}")
        fields.append(f'response="{digest}"')
        if "opaque" in self.params:
            fields.append(f'opaque="{self.params["opaque"]}"')
        fields.append("algorithm=MD5")
        return "Digest " + ", ".join(fields)


# ---------------------------------------------------------------- the session


class RtspClient:
    """The request sequence of one connection. ``start`` gives the first request;
    ``on_response`` each next one (None: nothing to send), until ``playing``."""

    def __init__(self, camera: CameraUrl) -> None:
        self.camera = camera
        self.cseq = 0
        self.pending: tuple[int, str, str, dict[str, str]] | None = None
        self.auth: Credentials | None = None
        self.auth_tried = False
        self.public: set[str] = set()
        self.track: VideoTrack | None = None
        self.base = camera.url
        self.session: str | None = None
        self.session_timeout_s = DEFAULT_SESSION_TIMEOUT_S
        self.rtp_channel = 0
        self.playing = False

    def start(self) -> bytes:
        return self._request("OPTIONS", self.camera.url)

    def _request(self, method: str, uri: str, extra: dict[str, str] | None = None) -> bytes:
        self.cseq += 1
        headers = {"CSeq": str(self.cseq), "User-Agent": USER_AGENT, **(extra or {})}
        if self.auth is not None:
            value = self.auth.header(method, uri)
            if value:
                headers["Authorization"] = value
        if self.session is not None:
            headers["Session"] = self.session
        self.pending = (self.cseq, method, uri, extra or {})
        lines = [f"{method} {uri} RTSP/1.0"] + [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def on_response(self, response: Response) -> bytes | None:
        pending = self.pending
        if response.status == 0 or pending is None or response.cseq != pending[0]:
            return None  # a keepalive's answer, or a request from the server
        self.pending = None
        _, method, uri, extra = pending
        if response.status == 401:
            return self._authenticate(response, method, uri, extra)
        if method == "OPTIONS" and not self.track:
            # Some cameras refuse OPTIONS; DESCRIBE tells what matters.
            self.public = {m.strip().upper() for m in (response.header("Public") or "").split(",")}
            return self._request("DESCRIBE", self.camera.url, {"Accept": "application/sdp"})
        if response.status >= 300:
            raise RtspError(f"{method} failed: {response.status} {response.reason}")
        if method == "DESCRIBE":
            return self._described(response)
        if method == "SETUP":
            return self._set_up(response)
        if method == "PLAY":
            self.playing = True
        return None

    def _authenticate(
        self, response: Response, method: str, uri: str, extra: dict[str, str]
    ) -> bytes:
        camera = self.camera
        stale = "stale=true" in " ".join(response.all("WWW-Authenticate")).lower()
        if camera.user is None:
            raise RtspError(
                f"{method} failed: 401 Unauthorized (the camera asks for a user name and"
                " password, the URL has none)"
            )
        if self.auth_tried and not stale:
            raise RtspError(f"{method} failed: 401 Unauthorized (wrong user name or password)")
        credentials = Credentials(camera.user, camera.password or "")
        if not credentials.accept(response.all("WWW-Authenticate")):
            raise RtspError(f"{method} failed: 401 Unauthorized (no supported authentication)")
        self.auth, self.auth_tried = credentials, True
        return self._request(method, uri, extra)

    def _described(self, response: Response) -> bytes:
        self.track = parse_sdp(response.body.decode("utf-8", "replace"))
        base = response.header("Content-Base") or response.header("Content-Location")
        self.base = base or self.camera.url
        uri = resolve_control(self.base, self.track.control)
        transport = "RTP/AVP/TCP;unicast;interleaved=0-1"
        return self._request("SETUP", uri, {"Transport": transport})

    def _set_up(self, response: Response) -> bytes:
        session = response.header("Session")
        if not session:
            raise RtspError("SETUP failed: no session in the camera's answer")
        ident, *params = session.split(";")
        self.session = ident.strip()
        for param in params:
            key, _, value = param.strip().partition("=")
            if key.lower() == "timeout" and value.strip().isdigit():
                self.session_timeout_s = max(2, int(value))
        found = re.search(r"interleaved=(\d+)", response.header("Transport") or "")
        if found:
            self.rtp_channel = int(found.group(1))
        elif "TCP" not in (response.header("Transport") or "TCP").upper():
            raise RtspError("SETUP failed: the camera refused RTP over the RTSP connection")
        assert self.track is not None
        uri = resolve_control(self.base, self.track.session_control)
        return self._request("PLAY", uri, {"Range": "npt=0.000-"})

    def keepalive(self) -> bytes:
        method = "GET_PARAMETER" if "GET_PARAMETER" in self.public else "OPTIONS"
        request = self._request(method, self.base)
        self.pending = None  # its answer is not waited for
        return request

    def teardown(self) -> bytes:
        request = self._request("TEARDOWN", self.base)
        self.pending = None
        return request

"""Reachability probes of cameras: a TCP connection, then an RTSP ``DESCRIBE`` over it.

Pure asyncio, no Django: the supervision loop hands in (camera id, URL) pairs and gets
plain results back, so thousands of cameras are probed in a few seconds from one
process with bounded concurrency and a timeout per step.

``DESCRIBE`` alone is sent (no ``OPTIONS`` first): it proves the same things (the RTSP
server answers, the credentials are right, the stream exists) and its SDP tells the
codec and, from the parameter sets, the picture size, in one round trip. A ``401``
is answered once with Digest (or Basic when that is all the camera offers) on the same
connection, as IP cameras and the simulator expect.

Credentials travel only in the ``Authorization`` header: no result, error text or log
line carries the URL's user information.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from vigie.recording import sps

RTSP_PORT = 554
MAX_HEAD = 16 * 1024
MAX_BODY = 64 * 1024
USER_AGENT = "Vigie-probe/1"
_STATUS = re.compile(rb"^RTSP/1\.\d (\d{3})")
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


@dataclass(frozen=True)
class Target:
    camera_id: int
    url: str  # rtsp://[user:password@]host[:port]/path


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = 3.0
    answer_s: float = 3.0


@dataclass(frozen=True)
class ProbeResult:
    camera_id: int
    reachable: bool  # the TCP connection was accepted
    rtsp_status: int | None = None  # the final status of DESCRIBE
    latency_ms: float | None = None  # connection + DESCRIBE (+ the authenticated retry)
    codec: str = ""  # "H264", "H265", or what the SDP names
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.rtsp_status == 200 and not self.error


class ProtocolError(Exception):
    """The peer answered something that is not RTSP (or not usable)."""


@dataclass
class _Answer:
    status: int
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])


@dataclass(frozen=True)
class _Url:
    host: str
    port: int
    request_uri: str  # without the credentials
    user: str
    password: str


def split_url(url: str) -> _Url:
    parts = urlsplit(url)
    if parts.scheme not in ("rtsp", "rtsps") or not parts.hostname:
        raise ValueError("not an rtsp:// URL")
    try:
        port = parts.port or RTSP_PORT
    except ValueError:
        raise ValueError("bad port in the stream URL") from None
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    uri = f"{parts.scheme}://{netloc}{parts.path or '/'}"
    if parts.query:
        uri += f"?{parts.query}"
    return _Url(host, port, uri, unquote(parts.username or ""), unquote(parts.password or ""))


# ---------------------------------------------------------------- authentication


def _challenges(answer: _Answer) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for value in answer.header("WWW-Authenticate"):
        scheme, _, rest = value.strip().partition(" ")
        params = {m[0].lower(): m[1] or m[2] for m in _PARAM.findall(rest)}
        found.setdefault(scheme.lower(), params)
    return found


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def authorization(answer: _Answer, url: _Url, method: str) -> str | None:
    """The ``Authorization`` value answering a 401, or None when it cannot be answered."""
    challenges = _challenges(answer)
    digest = challenges.get("digest")
    if digest is not None and "nonce" in digest:
        realm, nonce = digest.get("realm", ""), digest["nonce"]
        ha1 = _md5(f"{url.user}:{realm}:{url.password}")
        ha2 = _md5(f"{method}:{url.request_uri}")
        fields = [
            f'username="{url.user}"',
            f'realm="{realm}"',
            f'nonce="{nonce}"',
            f'uri="{url.request_uri}"',
        ]
        if "auth" in [q.strip() for q in digest.get("qop", "").split(",")]:
            cnonce, count = os.urandom(8).hex(), "00000001"
            response = _md5(f"{ha1}:{nonce}:{count}:{cnonce}:auth:{ha2}")
            fields += ["qop=auth", f"nc={count}", f'cnonce="{cnonce}"']
        else:
            response = _md5(f"{ha1}:{nonce}:{ha2}")
        fields.append(f'response="{response}"')
        if "opaque" in digest:
            fields.append(f'opaque="{digest["opaque"]}"')
        return "Digest " + ", ".join(fields)
    if "basic" in challenges:
        token = base64.b64encode(f"{url.user}:{url.password}".encode()).decode()
        return f"Basic {token}"
    return None


# ---------------------------------------------------------------- the conversation


async def _read_answer(reader: asyncio.StreamReader) -> _Answer:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise ProtocolError("answer header too long") from None
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise ProtocolError("connection closed without an answer") from None
        raise ProtocolError("not an RTSP answer") from None
    if len(head) > MAX_HEAD:
        raise ProtocolError("answer header too long")
    lines = head.split(b"\r\n")
    matched = _STATUS.match(lines[0])
    if matched is None:
        raise ProtocolError("not an RTSP answer")
    answer = _Answer(int(matched.group(1)))
    for raw in lines[1:]:
        name, sep, value = raw.decode("latin-1").partition(":")
        if sep:
            answer.headers.setdefault(name.strip().lower(), []).append(value.strip())
    length = answer.header("Content-Length")
    if length:
        try:
            size = int(length[0])
        except ValueError:
            raise ProtocolError("bad Content-Length") from None
        if not 0 <= size <= MAX_BODY:
            raise ProtocolError("answer body too large")
        try:
            answer.body = await reader.readexactly(size)
        except asyncio.IncompleteReadError:
            raise ProtocolError("answer body cut short") from None
    return answer


def _describe(url: _Url, cseq: int, auth: str | None) -> bytes:
    lines = [
        f"DESCRIBE {url.request_uri} RTSP/1.0",
        f"CSeq: {cseq}",
        "Accept: application/sdp",
        f"User-Agent: {USER_AGENT}",
    ]
    if auth:
        lines.append(f"Authorization: {auth}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _converse(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, url: _Url
) -> _Answer:
    writer.write(_describe(url, 1, None))
    answer = await _read_answer(reader)
    if answer.status == 401 and url.user:
        auth = authorization(answer, url, "DESCRIBE")
        if auth is not None:
            writer.write(_describe(url, 2, auth))
            answer = await _read_answer(reader)
    return answer


# ---------------------------------------------------------------- the SDP


@dataclass(frozen=True)
class StreamInfo:
    codec: str = ""
    width: int | None = None
    height: int | None = None
    fps: float | None = None


def parse_sdp(text: str) -> StreamInfo | None:
    """The first video stream of an SDP, or None when there is none."""
    in_video, payloads = False, set[str]()
    codec, fmtp, fps = "", "", None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("m="):
            if in_video:
                break
            words = line[2:].split()
            in_video = bool(words) and words[0] == "video"
            payloads = set(words[3:])
        elif in_video and line.startswith("a=rtpmap:"):
            pt, _, rest = line[9:].partition(" ")
            if pt in payloads and not codec:
                codec = rest.split("/")[0].upper().replace("HEVC", "H265")
        elif in_video and line.startswith("a=fmtp:"):
            fmtp = fmtp or line[7:].partition(" ")[2]
        elif in_video and line.startswith(("a=framerate:", "a=x-framerate:")):
            try:
                fps = float(line.partition(":")[2])
            except ValueError:
                fps = None
    if not in_video and not codec:
        return None
    params = dict(p.strip().partition("=")[::2] for p in fmtp.split(";") if "=" in p)
    raw_sps = params.get("sprop-parameter-sets") or params.get("sprop-sps") or ""
    picture = sps.from_sdp_parameter(codec, raw_sps) if raw_sps else None
    if picture is None:
        return StreamInfo(codec, fps=fps)
    return StreamInfo(codec, picture.width, picture.height, fps or picture.fps)


# ---------------------------------------------------------------- probes


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _status_error(status: int) -> str:
    known = {
        401: "authentication refused (401): wrong or missing user name or password",
        403: "access forbidden by the camera (403)",
        404: "stream not found on the camera (404)",
    }
    return known.get(status, f"RTSP answer {status}")


async def probe_one(target: Target, timeouts: Timeouts | None = None) -> ProbeResult:
    """One camera: TCP connection, then DESCRIBE (answering a 401 once)."""
    limits = timeouts or Timeouts()
    cid = target.camera_id
    try:
        url = split_url(target.url)
    except ValueError as exc:
        return ProbeResult(cid, False, error=str(exc))
    started = time.perf_counter()
    try:
        connecting = asyncio.open_connection(url.host, url.port, limit=MAX_HEAD)
        reader, writer = await asyncio.wait_for(connecting, limits.connect_s)
    except TimeoutError:
        return ProbeResult(cid, False, error=f"no TCP connection within {limits.connect_s:g} s")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return ProbeResult(cid, False, error=f"camera unreachable: {reason}")
    try:
        answer = await asyncio.wait_for(_converse(reader, writer, url), limits.answer_s)
    except TimeoutError:
        error = f"no RTSP answer within {limits.answer_s:g} s"
        return ProbeResult(cid, True, latency_ms=_elapsed_ms(started), error=error)
    except ProtocolError as exc:
        return ProbeResult(cid, True, latency_ms=_elapsed_ms(started), error=str(exc))
    except OSError as exc:
        error = f"connection lost: {exc.strerror or type(exc).__name__}"
        return ProbeResult(cid, True, latency_ms=_elapsed_ms(started), error=error)
    finally:
        writer.transport.abort()  # nothing to say goodbye for: no session was set up
    latency = _elapsed_ms(started)
    if answer.status != 200:
        return ProbeResult(cid, True, answer.status, latency, error=_status_error(answer.status))
    info = parse_sdp(answer.body.decode("utf-8", "replace"))
    if info is None:
        return ProbeResult(cid, True, 200, latency, error="no video stream in the SDP")
    return ProbeResult(cid, True, 200, latency, info.codec, info.width, info.height, info.fps)


async def probe_all(
    targets: Sequence[Target], concurrency: int = 500, timeouts: Timeouts | None = None
) -> list[ProbeResult]:
    """Every target, at most ``concurrency`` at once; results in the targets' order."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(target: Target) -> ProbeResult:
        async with gate:
            return await probe_one(target, timeouts)

    return list(await asyncio.gather(*(one(t) for t in targets)))


def run_probes(
    targets: Sequence[Target], concurrency: int = 500, timeouts: Timeouts | None = None
) -> list[ProbeResult]:
    """``probe_all`` from synchronous code (the supervision loop, the benchmark)."""
    return asyncio.run(probe_all(targets, concurrency, timeouts))

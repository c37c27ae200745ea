"""A minimal RTSP responder on 127.0.0.1 for the prober's tests and benchmark.

It answers ``OPTIONS`` and ``DESCRIBE`` with a valid SDP (H.264 1280×720 25 fps by
default, its real SPS in ``sprop-parameter-sets``), optionally behind Digest
authentication, and can misbehave per path: ``garbage`` (not RTSP), ``silent``
(accepts, never answers), ``missing`` (404). No media is ever sent.

In a test::

    with Responder({"/bad": Mount(mode="garbage")}) as responder:
        responder.url("/cam1")

From the benchmark: ``python -m vigie.supervision.tests.rtsp_responder --ports 8``
prints the ports as one JSON line, then serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

SPS_720P_25 = "Z2QAH6zZQFAFuhAAAAMAEAAAAwMg8YMZYA==,aOvjyyLA"
SPS_240P_5 = "Z2QADKzZQUH6EAAAAwAQAAADAKDxQplg,aOvjyyLA"
SPS_H265_480P = "QgEBAWAAAAMAkAAAAwAAAwBaoAUCAeFllZpJMrmgIAAAAwAgAAADAyE="
REALM = "Vigie test responder"
_PARAM = re.compile(r'(\w+)="?([^",]*)"?')


def h264_sdp(sprop: str = SPS_720P_25, framerate: float | None = None) -> str:
    lines = [
        "v=0",
        "o=- 1 1 IN IP4 127.0.0.1",
        "s=Vigie responder",
        "t=0 0",
        "m=video 0 RTP/AVP 96",
        "c=IN IP4 0.0.0.0",
        "a=rtpmap:96 H264/90000",
        f"a=fmtp:96 packetization-mode=1;profile-level-id=64001f;sprop-parameter-sets={sprop}",
        "a=control:stream=0",
    ]
    if framerate is not None:
        lines.append(f"a=framerate:{framerate:g}")
    return "\r\n".join(lines) + "\r\n"


def h265_sdp(sprop_sps: str = SPS_H265_480P) -> str:
    return (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=Vigie responder\r\nt=0 0\r\n"
        "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H265/90000\r\n"
        f"a=fmtp:96 sprop-sps={sprop_sps}\r\na=framerate:25\r\na=control:stream=0\r\n"
    )


@dataclass(frozen=True)
class Mount:
    mode: str = "ok"  # ok | garbage | silent | missing
    sdp: str = ""
    auth: tuple[str, str] | None = None


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _digest_ok(header: str, method: str, nonce: str, auth: tuple[str, str]) -> bool:
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "digest":
        return False
    params = dict(_PARAM.findall(rest))
    if params.get("username") != auth[0] or params.get("nonce") != nonce:
        return False
    ha1 = _md5(f"{auth[0]}:{REALM}:{auth[1]}")
    ha2 = _md5(f"{method}:{params.get('uri', '')}")
    if params.get("qop") == "auth":
        expected = _md5(f"{ha1}:{nonce}:{params['nc']}:{params['cnonce']}:auth:{ha2}")
    else:
        expected = _md5(f"{ha1}:{nonce}:{ha2}")
    return params.get("response") == expected


class Responder:
    """Serves ``ports`` listening sockets; every path not in ``mounts`` gets ``default``."""

    def __init__(
        self,
        mounts: Mapping[str, Mount] | None = None,
        default: Mount | None = None,
        ports: int = 1,
    ) -> None:
        self.mounts = dict(mounts or {})
        self.default = default or Mount()
        self.port_count = ports
        self.ports: list[int] = []
        self.requests = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.Server] = []
        self._ready = threading.Event()

    # ------------------------------------------------------------ lifecycle

    async def serve(self) -> None:
        for _ in range(self.port_count):
            server = await asyncio.start_server(self._client, "127.0.0.1", 0, backlog=4096)
            self._servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])

    def __enter__(self) -> Responder:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        loop.run_until_complete(self.serve())
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def url(self, path: str, user: str = "", password: str = "", port_index: int = 0) -> str:
        creds = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
        return f"rtsp://{creds}127.0.0.1:{self.ports[port_index]}{path}"

    # ------------------------------------------------------------ one client

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonce = os.urandom(8).hex()
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests += 1
                if not await self._answer(head.decode("latin-1"), nonce, writer):
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        except asyncio.CancelledError:
            writer.transport.abort()
            raise
        finally:
            writer.close()

    async def _answer(self, head: str, nonce: str, writer: asyncio.StreamWriter) -> bool:
        lines = head.split("\r\n")
        method, uri = [*lines[0].split(" "), "", ""][:2]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        mount = self.mounts.get(urlsplit(uri).path, self.default)
        if mount.mode == "silent":
            await asyncio.sleep(3600)
            return False
        if mount.mode == "garbage":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            await writer.drain()
            return False
        cseq = headers.get("cseq", "0")
        extra, body, status = "", "", "200 OK"
        if mount.auth and not _digest_ok(
            headers.get("authorization", ""), method, nonce, mount.auth
        ):
            status = "401 Unauthorized"
            extra = f'WWW-Authenticate: Digest realm="{REALM}", nonce="{nonce}"\r\n'
        elif mount.mode == "missing":
            status = "404 Not Found"
        elif method == "OPTIONS":
            extra = "Public: OPTIONS, DESCRIBE\r\n"
        elif method == "DESCRIBE":
            body = mount.sdp or h264_sdp()
            extra = f"Content-Base: {uri}/\r\nContent-Type: application/sdp\r\n"
        else:
            status = "405 Method Not Allowed"
        data = body.encode()
        head = f"RTSP/1.0 {status}\r\nCSeq: {cseq}\r\n{extra}Content-Length: {len(data)}\r\n"
        writer.write(head.encode() + b"\r\n" + data)
        await writer.drain()
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description="Minimal RTSP responder on 127.0.0.1.")
    parser.add_argument("--ports", type=int, default=1)
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    auth = (args.user, args.password) if args.user else None
    responder = Responder(default=Mount(auth=auth), ports=args.ports)

    async def run() -> None:
        await responder.serve()
        print(json.dumps({"ports": responder.ports}), flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()

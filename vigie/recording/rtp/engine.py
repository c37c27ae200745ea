"""The RTP engine: every camera's RTSP connection served by one I/O thread.

Why (measured in issue 3, docs/recorder.md): FFmpeg's RTSP demuxer makes two
syscalls per RTP packet (it reads each 4-byte interleave header and each payload
apart, and polls before each), ~1 600 a second per camera, and the kernel is half of
its CPU. Here one thread visits every camera once per round (``ROUND_S``), so each
``recv`` returns a few kilobytes (tens of packets) and each file gets one ``writev``:
tens of syscalls per camera-second. The per-packet work left in Python is a header
unpack and a slice (``depay``), the per-frame work a few numpy operations (``tsmux``).

What a process (or a thread) per camera gave for free is kept: each ingest has its own
lock, taken by the loop while it serves that camera and by ``kill``, so a killed ingest
never writes again; an exception ends its camera only; nothing blocks the loop
(non-blocking sockets, host names resolved in a short-lived thread).
"""

from __future__ import annotations

import collections
import contextlib
import errno
import ipaddress
import logging
import os
import select
import socket
import struct
import threading
import time
from typing import Any

from vigie.recording.avingest import KILLED, AvIngest, AvOptions, hide_credentials
from vigie.recording.index import Media
from vigie.recording.ingest import STDERR_LINES, IngestSpec, RecentFiles
from vigie.recording.livewindow import LiveWindow
from vigie.recording.rtp.depay import Depacketizer
from vigie.recording.rtp.rtsp import CameraUrl, RtspClient, RtspError, parse_message, parse_url
from vigie.recording.rtp.segments import TsSegmentWriter

log = logging.getLogger("vigie.recorder")

# Long enough that a recv returns many packets (~10 kB at 2 Mbit/s), short enough that
# kill -9 loses little and the live window stays fresh.
ROUND_S = 0.04
SCRATCH_BYTES = 1 << 19
RTP_HEAD = struct.Struct(">BBHI")
CONNECTING, TALKING, PLAYING = "connecting", "talking", "playing"


class Finished(Exception):
    """The connection ended; ``code`` is the ingest's return code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class RtpEngine:
    """``vigie recorder --ingest rtp``: RTSP cameras on the shared I/O loop; other
    sources (rtsps://, files, http) go to PyAV threads."""

    name = "rtp"

    def __init__(self, options: AvOptions) -> None:
        self.options = options

    def start(self, spec: IngestSpec) -> RtpIngest | AvIngest:
        if spec.url.lower().startswith("rtsp://"):
            return RtpIngest(spec, self.options)
        return AvIngest(spec, self.options)


class _Loop:
    """The I/O thread. It starts with the first ingest and ends with the last one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ingests: list[RtpIngest] = []
        self.thread: threading.Thread | None = None
        self.scratch = bytearray(SCRATCH_BYTES)
        self.view = memoryview(self.scratch)

    def add(self, ingest: RtpIngest) -> threading.Thread:
        with self.lock:
            self.ingests.append(ingest)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, daemon=True, name="rtp-loop")
                self.thread.start()
            return self.thread

    def _run(self) -> None:
        clock = time.monotonic
        while True:
            with self.lock:
                if not self.ingests:
                    self.thread = None
                    return
                current = list(self.ingests)
            began = clock()
            ended = [ingest for ingest in current if not self._serve(ingest, began)]
            if ended:
                with self.lock:
                    for ingest in ended:
                        self.ingests.remove(ingest)
            time.sleep(max(0.002, ROUND_S - (clock() - began)))

    def _serve(self, ingest: RtpIngest, now: float) -> bool:
        try:
            return ingest.serve(now, self.view)
        except Exception:  # never the loop: every other camera depends on it
            log.exception("camera %s: rtp ingest dropped", ingest.spec.camera_id)
            ingest.abort("internal error in the rtp loop")
            return False


LOOP = _Loop()


class RtpIngest(RecentFiles):
    """One camera on the I/O loop, with the interface of ``AvIngest``."""

    def __init__(self, spec: IngestSpec, options: AvOptions) -> None:
        self.spec = spec
        self.options = options
        self.errors: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self.returncode: int | None = None
        self.writer: TsSegmentWriter | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._stop = False
        self._killed = False
        self._state = CONNECTING
        self._sock: socket.socket | None = None
        self._address: tuple[Any, ...] | None = None
        self._resolve_error: str | None = None
        self._inbuf = b""
        self._outbuf = b""
        self._depay: Depacketizer | None = None
        self._channel = 0
        self._began = time.monotonic()
        self._last_rtp = self._began
        self._got_rtp = False
        self._next_keepalive = 0.0
        self.camera: CameraUrl | None = None
        try:
            self.camera = parse_url(spec.url)
        except ValueError as exc:
            self._resolve_error = f"bad camera URL: {exc}"  # said at the first round
        self.client = RtspClient(self.camera or CameraUrl("rtsp://invalid/", "invalid", 554))
        if self.camera is not None:
            self._resolve()
        self.thread = LOOP.add(self)

    @property
    def pid(self) -> str:
        return f"thread {self.thread.native_id} (rtp loop)"

    def _resolve(self) -> None:
        assert self.camera is not None
        host, port = self.camera.host, self.camera.port
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            # A DNS answer may take seconds: never in the loop thread.
            threading.Thread(target=self._lookup, args=(host, port), daemon=True).start()
            return
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        self._address = (family, (host, port))

    def _lookup(self, host: str, port: int) -> None:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            self._address = (found[0][0], found[0][4])
        except OSError as exc:
            self._resolve_error = f"cannot resolve {host}: {exc}"

    # ------------------------------------------------------------ the loop's side

    def serve(self, now: float, scratch: memoryview) -> bool:
        """One round for this camera; False once it has ended."""
        with self._lock:
            if self._killed:
                self._drop()
                return False
            try:
                if self._stop:
                    raise Finished("", 0)
                self._round(now, scratch)
            except Finished as end:
                self._end(end.code, str(end))
            except (RtspError, OSError) as exc:
                code = 1
                if isinstance(exc, OSError) and exc.errno == errno.ECONNRESET and self._got_rtp:
                    code = 0
                self._end(code, hide_credentials(_describe(exc)))
            except Exception as exc:  # one camera's bad data must not end the loop
                log.exception("camera %s: rtp ingest failed", self.spec.camera_id)
                self._end(1, f"internal error: {exc.__class__.__name__}: {exc}")
            return self.returncode is None

    def _round(self, now: float, scratch: memoryview) -> None:
        if self._state == CONNECTING and not self._connect(now):
            return
        if self._outbuf:
            self._send(b"")
        self._receive(scratch, now)
        if self._state == PLAYING:
            if now - self._last_rtp >= self.options.read_timeout_s:
                raise Finished(self._timeout_message(now), 1)
            if now >= self._next_keepalive:
                self._send(self.client.keepalive())
                self._next_keepalive = now + self.client.session_timeout_s / 2
        elif now - self._began >= self.options.open_timeout_s:
            raise Finished("no answer from the camera (timeout)", 1)
        if self.writer is not None:
            self.writer.flush()

    def _connect(self, now: float) -> bool:
        if self._resolve_error is not None:
            raise Finished(self._resolve_error, 1)
        if now - self._began >= self.options.open_timeout_s:
            raise Finished("no answer from the camera (timeout)", 1)
        if self._sock is None:
            if self._address is None:
                return False  # still resolving
            family, address = self._address
            self._sock = socket.socket(family, socket.SOCK_STREAM)
            self._sock.setblocking(False)
            code = self._sock.connect_ex(address)
            if code not in (0, errno.EINPROGRESS, errno.EAGAIN):
                raise self._connect_error(code)
        poller = select.poll()  # not select(): descriptors past 1024 on a big node
        poller.register(self._sock, select.POLLOUT)
        if not poller.poll(0):
            return False
        code = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            raise self._connect_error(code)
        self._state = TALKING
        self._send(self.client.start())
        return True

    def _connect_error(self, code: int) -> Finished:
        assert self.camera is not None
        where = f"{self.camera.host}:{self.camera.port}"
        return Finished(f"cannot connect to {where}: {os.strerror(code)}", 1)

    def _send(self, data: bytes) -> None:
        assert self._sock is not None
        out = self._outbuf + data
        try:
            sent = self._sock.send(out) if out else 0
        except BlockingIOError:
            sent = 0
        self._outbuf = out[sent:]

    def _receive(self, scratch: memoryview, now: float) -> None:
        assert self._sock is not None
        size = len(scratch)
        while True:
            try:
                count = self._sock.recv_into(scratch)
            except (BlockingIOError, InterruptedError):
                return
            if count == 0:
                self._closed_by_camera()
            self._feed(
                self._inbuf + scratch[:count] if self._inbuf else bytes(scratch[:count]), now
            )
            if count < size:
                return

    def _closed_by_camera(self) -> None:
        if self._state == PLAYING and self._got_rtp:
            raise Finished("the camera closed the connection (end of stream)", 0)
        step = "before sending video" if self._state == PLAYING else "during the RTSP handshake"
        raise Finished(f"the camera closed the connection {step}", 1)

    def _feed(self, buf: bytes, now: float) -> None:
        """Interleaved RTP frames ($, channel, length) and RTSP messages, in any order."""
        at, size = 0, len(buf)
        depay, channel, unpack = self._depay, self._channel, RTP_HEAD.unpack_from
        got = False
        while at < size:
            if buf[at] == 0x24:
                if at + 4 > size:
                    break
                end = at + 4 + ((buf[at + 2] << 8) | buf[at + 3])
                if end > size:
                    break
                if buf[at + 1] == channel and depay is not None and end - at >= 16:
                    b0, b1, seq, ts = unpack(buf, at + 4)
                    start = at + 16 + ((b0 & 0x0F) << 2)
                    stop = end - buf[end - 1] if b0 & 0x20 else end
                    if b0 & 0x10 and start + 4 <= stop:
                        start += 4 + (((buf[start + 2] << 8) | buf[start + 3]) << 2)
                    if b0 & 0xC0 == 0x80 and start <= stop:
                        depay.push(buf, start, stop, seq, ts, b1 & 0x80 != 0)
                        got = True
                at = end
            elif 0x41 <= buf[at] <= 0x5A:  # "RTSP/1.0 …" or a request from the server
                message, after = parse_message(buf, at)
                if message is None:
                    break
                at = after
                self._answered(message)
                depay, channel = self._depay, self._channel
            else:  # garbage: resynchronise on the next frame
                found = buf.find(b"$", at + 1)
                at = size if found == -1 else found
        self._inbuf = buf[at:] if at < size else b""
        if got:
            self._last_rtp, self._got_rtp = now, True
            self._write_frames()

    def _answered(self, message: Any) -> None:
        request = self.client.on_response(message)
        if request:
            self._send(request)
        if self.client.playing and self._state != PLAYING:
            self._start_playing()

    def _start_playing(self) -> None:
        track = self.client.track
        assert track is not None
        self._state = PLAYING
        self._channel = self.client.rtp_channel
        self._depay = Depacketizer(track.codec, list(track.parameter_sets))
        live = LiveWindow(self.spec.live_root, time.time()) if self.spec.live else None
        self.writer = TsSegmentWriter(self.spec, track.codec, self._depay.sps, live)
        now = time.monotonic()
        self._last_rtp = now
        self._next_keepalive = now + self.client.session_timeout_s / 2

    def _write_frames(self) -> None:
        depay, writer = self._depay, self.writer
        if depay is None or writer is None or not depay.frames:
            return
        frames, depay.frames = depay.frames, []
        for unit in frames:
            writer.write(unit)

    def _timeout_message(self, now: float) -> str:
        if self._got_rtp:
            return f"no data from the camera for {now - self._last_rtp:.0f} s"
        return "no answer from the camera (timeout)"

    def _end(self, code: int, message: str) -> None:
        if message:
            self.errors.append(message)
        try:
            if self.writer is not None:
                self.writer.close()
        except OSError as exc:
            self.errors.append(hide_credentials(_describe(exc)))
            code = code or 1
            if self.writer is not None:
                self.writer.abandon()
        finally:
            self._close_socket(teardown=code == 0 and self._state == PLAYING)
            self.returncode = code
            self._done.set()

    def _drop(self) -> None:
        with contextlib.suppress(OSError):
            if self.writer is not None:
                self.writer.abandon()
            self._close_socket(teardown=False)

    def abort(self, message: str) -> None:
        """The last resort when serving this camera failed outside its own guard."""
        self.errors.append(message)
        self._drop()
        if self.returncode is None:
            self.returncode = 1
        self._done.set()

    def _close_socket(self, *, teardown: bool) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if teardown:
            with contextlib.suppress(OSError):
                sock.send(self.client.teardown())  # best effort
        sock.close()

    # ------------------------------------------------------------ the process interface

    @property
    def media(self) -> Media | None:
        return self.writer.media if self.writer is not None else None

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self._stop = True

    def stop(self, grace_s: float = 3.0) -> int:
        """Closes the file and the live window at the loop's next round (TEARDOWN
        sent, best effort); after ``grace_s``, as ``kill``."""
        self._stop = True
        if not self._done.wait(grace_s):
            return self.kill()
        return self.wait()

    def kill(self) -> int:
        """From now on this ingest writes nothing; the loop drops it at its next round."""
        self._stop = True
        with self._lock:
            if self.returncode is None:
                self._killed = True
                self.returncode = KILLED
                self._done.set()
        return self.wait()

    def wait(self) -> int:
        self._done.wait()
        return self.returncode if self.returncode is not None else KILLED

    def error_lines(self) -> list[str]:
        return list(self.errors)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror if not exc.filename else f"{exc.strerror}: {exc.filename}"
    return str(exc)

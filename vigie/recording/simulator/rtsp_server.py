"""Simulated RTSP cameras: a standalone GStreamer RTSP server (standard library + ``gi``).

Run by Debian's ``/usr/bin/python3`` (the only interpreter with ``python3-gi``), as a
child of ``vigie.recording.simulator.SimulatedCameras`` or ``vigie simulate-cameras``:

    /usr/bin/python3 rtsp_server.py CONFIG.json

CONFIG.json: ``{"port": 0, "cameras": [{"path": "/cam1", "clip": "/…/clip.h264",
"codec": "h264", "fps": "25/1", "offset": 0.0}, …]}``. Each clip is an Annex-B
elementary stream (H.264 or H.265) with one access unit delimiter per frame, no
B-frames and regular keyframes carrying their parameter sets, or an AAC stream in
ADTS frames (codec ``aac``), as made by ``vigie.recording.simulator.footage``. The
server splits every clip into frames once, then each camera pushes those frames
through ``appsrc ! rtph26Xpay`` (``aacparse ! rtpmp4gpay``) with timestamps that keep
increasing across loops: nothing is decoded or encoded per camera.

Optional: ``"auth": [USER, PASSWORD]`` (every camera asks for them, with Digest) and
per camera ``"variants": [{"clip", "codec", "fps"}, …]`` (the streams it can serve, the
first at start; ``switch I`` moves to the next one).

Each camera runs on its own virtual clock (``offset`` seconds into its loop when the
server starts), so cameras sharing a clip show different moments, and a client that
connects joins the loop where the camera "is", at the preceding keyframe.

Protocol: once listening, the server prints ``ready PORT`` on stdout. It then reads
one command per line on stdin and answers ``ok COMMAND`` or ``error MESSAGE``:
``stop I`` (camera I goes away: its clients are disconnected, new ones get 404),
``start I`` (it serves again), ``freeze I`` (connections stay open but no data flows),
``thaw I``, ``switch I`` (camera I is reconfigured: its clients are disconnected and it
serves its next variant from then on), ``quit``. End of stdin (the parent died) or
SIGTERM/SIGINT stop the server.
"""

from __future__ import annotations

import faulthandler
import json
import signal
import sys
import time
from fractions import Fraction
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

# Frames are pushed by one timer for every camera: 20 ms keeps the send jitter under a
# frame at 25-30 fps (timestamps stay exact); 10 ms cost ~10 % more CPU (bench/simulator.py).
TICK_MS = 20
AUD_TYPES = {"h264": 9, "h265": 35}
CAPS = {
    "h264": "video/x-h264,stream-format=byte-stream,alignment=au",
    "h265": "video/x-h265,stream-format=byte-stream,alignment=au",
    "aac": "audio/mpeg,mpegversion=4,stream-format=adts",
}
PAYLOADERS = {"h264": "rtph264pay config-interval=0", "h265": "rtph265pay config-interval=0"}
# aacparse turns ADTS into the raw frames (and codec data) RFC 3640 payloading wants.
PAYLOADERS["aac"] = "aacparse ! rtpmp4gpay"
VIEWER = "viewer"  # the role that credentials give, and that every camera grants


def nal_type(codec: str, header: int) -> int:
    return header & 0x1F if codec == "h264" else (header >> 1) & 0x3F


def is_keyframe(codec: str, kind: int) -> bool:
    # H.264 IDR slice; H.265 IRAP pictures (BLA, IDR, CRA).
    return kind == 5 if codec == "h264" else 16 <= kind <= 21


def split_access_units(data: bytes, codec: str) -> list[tuple[bytes, bool]]:
    """Cut an Annex-B stream into access units at each delimiter: (bytes, keyframe)."""
    aud = AUD_TYPES[codec]
    starts: list[tuple[int, int]] = []  # (offset of the start code, NAL type)
    pos = data.find(b"\x00\x00\x01")
    while pos != -1 and pos + 3 < len(data):
        begin = pos - 1 if pos > 0 and data[pos - 1] == 0 else pos
        starts.append((begin, nal_type(codec, data[pos + 3])))
        pos = data.find(b"\x00\x00\x01", pos + 3)
    units: list[tuple[bytes, bool]] = []
    unit_start, key = -1, False
    for begin, kind in starts:
        if kind == aud:
            if unit_start >= 0:
                units.append((data[unit_start:begin], key))
            unit_start, key = begin, False
        elif is_keyframe(codec, kind):
            key = True
    if unit_start >= 0:
        units.append((data[unit_start:], key))
    return units


def split_adts(data: bytes) -> list[tuple[bytes, bool]]:
    """Cut an AAC stream into its ADTS frames (each one decodable alone: all "key")."""
    frames: list[tuple[bytes, bool]] = []
    pos = 0
    while pos + 7 <= len(data) and data[pos] == 0xFF and data[pos + 1] & 0xF0 == 0xF0:
        length = (data[pos + 3] & 0x03) << 11 | data[pos + 4] << 3 | data[pos + 5] >> 5
        if length < 7:
            break
        frames.append((data[pos : pos + length], True))
        pos += length
    return frames


def split_frames(data: bytes, codec: str) -> list[tuple[bytes, bool]]:
    return split_adts(data) if codec == "aac" else split_access_units(data, codec)


def running_time(element: Any) -> int | None:
    """The element's running time, only once it is fully PLAYING.

    ``get_current_running_time()`` read during the change to PLAYING may see the clock
    before the base time is set and answer the clock's absolute time: frames stamped
    hours ahead that the sinks wait for forever (seen as a client that never gets data).
    """
    _, current, pending = element.get_state(0)
    if current != Gst.State.PLAYING or pending != Gst.State.VOID_PENDING:
        return None
    clock = element.get_clock()
    if clock is None:
        return None
    return max(0, int(clock.get_time() - element.get_base_time()))


class Clip:
    """One clip's frames, wrapped once into GStreamer buffers shared by every camera."""

    def __init__(self, path: str, codec: str, fps: Fraction) -> None:
        with open(path, "rb") as handle:
            units = split_frames(handle.read(), codec)
        if not units or not units[0][1]:
            raise ValueError(f"{path}: no frames, or no leading keyframe")
        self.codec = codec
        self.frame_ns = int(Fraction(Gst.SECOND) / fps)
        self.buffers = [Gst.Buffer.new_wrapped(data) for data, _ in units]
        self.keyframes = [i for i, (_, key) in enumerate(units) if key]

    def __len__(self) -> int:
        return len(self.buffers)

    def keyframe_at_or_before(self, index: int) -> int:
        best = self.keyframes[0]
        for key in self.keyframes:
            if key > index:
                break
            best = key
        return best


class Camera:
    """One simulated camera: a mount point, a shared media, a position in its loop."""

    def __init__(self, path: str, variants: list[Clip], offset_s: float, epoch: float) -> None:
        self.path = path
        self.variants = variants
        self.variant = 0
        self.epoch = epoch - offset_s  # the monotonic instant when the loop was at frame 0
        self.stopped = False
        self.frozen = False
        self.appsrc: Any = None
        self.next_index = 0  # next frame to push (into the loop)
        self.pushed = 0  # frames pushed since the media started: the timeline
        self.started = False  # whether frames flow into the current appsrc
        self.started_at = 0.0  # monotonic instant of the first frame pushed
        self.base_pts = 0

    @property
    def clip(self) -> Clip:
        return self.variants[self.variant]

    def loop_position(self, now: float) -> int:
        """The frame the camera shows at ``now`` on its own virtual clock."""
        frame = int((now - self.epoch) * Gst.SECOND / self.clip.frame_ns)
        return frame % len(self.clip)

    def launch(self) -> str:
        codec = self.clip.codec
        return (
            f'( appsrc name=src is-live=true format=time do-timestamp=false caps="{CAPS[codec]}" '
            f"! {PAYLOADERS[codec]} name=pay0 pt=96 )"
        )

    def resync(self, now: float, running_ns: int) -> None:
        self.next_index = self.clip.keyframe_at_or_before(self.loop_position(now))
        self.pushed = 0
        self.started_at = now
        self.base_pts = running_ns
        self.started = True

    def push_due(self, now: float) -> None:
        """Push every frame whose time has come, with regular, ever-increasing stamps."""
        if self.appsrc is None or not self.started or self.frozen or self.stopped:
            return
        frame_ns = self.clip.frame_ns
        due = int((now - self.started_at) * Gst.SECOND / frame_ns) + 1
        while self.pushed < due:
            buffer = self.clip.buffers[self.next_index].copy()
            buffer.pts = buffer.dts = self.base_pts + self.pushed * frame_ns
            buffer.duration = frame_ns
            if self.appsrc.emit("push-buffer", buffer) != Gst.FlowReturn.OK:
                self.appsrc = None  # flushing or gone: the media is being torn down
                return
            self.pushed += 1
            self.next_index = (self.next_index + 1) % len(self.clip)


class Server:
    """The RTSP server, its cameras, and the stdin command loop."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.loop = GLib.MainLoop()
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address("127.0.0.1")
        self.server.set_service(str(config.get("port", 0)))
        self.clients: dict[str, set[Any]] = {}  # camera path -> clients that asked for it
        clips: dict[tuple[str, str, str], Clip] = {}
        epoch = time.monotonic()
        self.cameras: list[Camera] = []
        for spec in config["cameras"]:
            variants = []
            for variant in spec.get("variants") or [spec]:
                key = (variant["clip"], variant["codec"], variant["fps"])
                if key not in clips:
                    clips[key] = Clip(key[0], key[1], Fraction(key[2]))
                variants.append(clips[key])
            offset = float(spec["offset"])
            self.cameras.append(Camera(spec["path"], variants, offset, epoch))
        if config.get("auth"):
            self.setup_auth(*config["auth"])
        for camera in self.cameras:
            self.mount(camera)
        self.server.connect("client-connected", self.on_client)

    def setup_auth(self, user: str, password: str) -> None:
        """Digest, as IP cameras ask for it (Basic credentials sent unasked are accepted
        too; the bindings cannot advertise both methods). No default token: a client
        without credentials, or with wrong ones, gets 401 Unauthorized and a challenge,
        as from a real camera (a token for anonymous clients would make GStreamer answer
        404 instead)."""
        auth = GstRtspServer.RTSPAuth()
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, VIEWER)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        auth.add_digest(user, password, token)
        self.server.set_auth(auth)

    def mount(self, camera: Camera) -> None:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(camera.launch())
        # One pipeline per camera, whatever the number of viewers, as a real camera.
        factory.set_shared(True)
        if self.server.get_auth() is not None:
            factory.add_role_from_structure(
                Gst.Structure.new_from_string(
                    f"{VIEWER}, media.factory.access=(boolean)true, "
                    "media.factory.construct=(boolean)true"
                )
            )
        factory.connect("media-configure", self.on_media, camera)
        self.server.get_mount_points().add_factory(camera.path, factory)

    def on_media(self, _factory: Any, media: Any, camera: Camera) -> None:
        appsrc = media.get_element().get_by_name("src")
        camera.started = False  # before the appsrc: the timer thread must not push yet
        camera.appsrc = appsrc
        media.connect("unprepared", self.on_unprepared, camera, appsrc)

    @staticmethod
    def on_unprepared(_media: Any, camera: Camera, appsrc: Any) -> None:
        if camera.appsrc is appsrc:
            camera.appsrc = None

    def on_client(self, _server: Any, client: Any) -> None:
        client.connect("describe-request", self.on_request)
        client.connect("setup-request", self.on_request)
        client.connect("closed", self.on_closed)

    def on_request(self, client: Any, context: Any) -> None:
        path = context.uri.abspath if context.uri is not None else ""
        for camera in self.cameras:
            # SETUP names the stream below the camera's path (/cam1/stream=0).
            if path == camera.path or path.startswith(camera.path + "/"):
                self.clients.setdefault(camera.path, set()).add(client)

    def on_closed(self, client: Any) -> None:
        for clients in self.clients.values():
            clients.discard(client)

    def tick(self) -> bool:
        now = time.monotonic()
        for camera in self.cameras:
            if camera.appsrc is not None and not camera.started:
                self.start_pushing(camera, now)
            camera.push_due(now)
        return True

    @staticmethod
    def start_pushing(camera: Camera, now: float) -> None:
        """Stamp from the pipeline's running time once it runs, so sinks never wait."""
        running = running_time(camera.appsrc)
        if running is not None:  # else: not playing yet, try at the next tick
            camera.resync(now, running)

    def command(self, line: str) -> str:
        words = line.split()
        if words == ["quit"]:
            self.loop.quit()
            return "ok quit"
        if len(words) != 2 or words[0] not in ("stop", "start", "freeze", "thaw", "switch"):
            return f"error unknown command {line.strip()!r}"
        try:
            camera = self.cameras[int(words[1]) - 1]
        except (ValueError, IndexError):
            return f"error no camera {words[1]!r}"
        getattr(self, f"do_{words[0]}")(camera)
        return f"ok {words[0]} {words[1]}"

    def do_stop(self, camera: Camera) -> None:
        if camera.stopped:
            return
        camera.stopped = True
        self.server.get_mount_points().remove_factory(camera.path)
        for client in list(self.clients.pop(camera.path, ())):
            client.close()

    def do_switch(self, camera: Camera) -> None:
        """A reconfigured camera: the session drops, and whoever reconnects gets the
        next variant (another codec, another size…) at the same URL."""
        was_serving = not camera.stopped
        self.do_stop(camera)
        camera.appsrc = None  # the old pipeline must not get the new clip's frames
        camera.started = False
        camera.variant = (camera.variant + 1) % len(camera.variants)
        if was_serving:
            self.do_start(camera)

    def do_start(self, camera: Camera) -> None:
        if camera.stopped:
            camera.stopped = False
            self.mount(camera)

    def do_freeze(self, camera: Camera) -> None:
        camera.frozen = True

    def do_thaw(self, camera: Camera) -> None:
        if camera.frozen:
            camera.frozen = False
            # The next tick resumes at a keyframe and at "now", as a camera whose link
            # came back: the timestamps jump by the frozen time.
            camera.started = False

    def on_stdin(self, _channel: Any, condition: Any) -> bool:
        line = sys.stdin.readline() if condition & GLib.IOCondition.IN else ""
        if not line:  # end of input: the parent went away
            self.loop.quit()
            return False
        if line.strip():
            print(self.command(line), flush=True)
        return True

    def run(self) -> int:
        if self.server.attach(None) == 0:
            print(f"error cannot listen on {self.server.get_service()}", flush=True)
            return 1
        for signum in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, self.quit)
        GLib.io_add_watch(
            GLib.IOChannel.unix_new(sys.stdin.fileno()),
            GLib.PRIORITY_DEFAULT,
            GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR,
            self.on_stdin,
        )
        GLib.timeout_add(TICK_MS, self.tick)
        print(f"ready {self.server.get_bound_port()}", flush=True)
        self.loop.run()
        return 0

    def quit(self) -> bool:
        self.loop.quit()
        return False


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        config = json.load(handle)
    # kill -USR1 PID dumps the Python stacks into the log: how a stuck server is read.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    Gst.init(None)
    try:
        server = Server(config)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error {exc}", flush=True)
        return 1
    return server.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))

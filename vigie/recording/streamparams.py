"""What a camera's stream is (codec, picture size), kept true while it records.

A camera reconfigured on the fly (another resolution or profile) may keep its RTSP
session and only send a new SPS with its next keyframe. Stream copy never decodes, so
the PyAV ingest looks at the head of each keyframe (a few hundred bytes, a bytes
compare) and only when the SPS differs decodes that one keyframe to learn the new
size; the ingest then starts a new segment, so that a segment row's size is the size
of every picture in its file.
"""

from __future__ import annotations

from typing import Any

import av

from vigie.recording.index import Media

START = b"\x00\x00\x01"
HEAD_BYTES = 4096  # SPS, PPS and SEI come before the first slice, well within this
SPS_TYPE = {"h264": 7, "hevc": 33}


def nal_type(codec: str, header: int) -> int:
    return header & 0x1F if codec == "h264" else (header >> 1) & 0x3F


def is_slice(codec: str, kind: int) -> bool:
    return 1 <= kind <= 5 if codec == "h264" else kind < 32


def find_sps(codec: str, head: bytes) -> bytes | None:
    """The SPS NAL unit (Annex B) at the head of an access unit, if it carries one."""
    wanted = SPS_TYPE.get(codec)
    if wanted is None:
        return None
    at = head.find(START)
    while at != -1 and at + 3 < len(head):
        start = at + 3
        kind = nal_type(codec, head[start])
        if is_slice(codec, kind):
            return None  # picture data: no parameter set after this
        following = head.find(START, start)
        if kind == wanted:
            end = following if following != -1 else len(head)
            return head[start:end].rstrip(b"\x00")
        at = following
    return None


def decoded_size(codec: str, packet: Any) -> tuple[int, int] | None:
    """The picture size of one keyframe, by decoding it (a few ms, and only when the
    SPS changed)."""
    try:
        ctx: Any = av.CodecContext.create(codec, "r")
        ctx.thread_count = 1
        frames = [*ctx.decode(packet), *ctx.decode(None)]
    except (av.FFmpegError, ValueError):
        return None
    return (frames[0].width, frames[0].height) if frames else None


class StreamParams:
    """The media facts of one connection, updated when a keyframe brings a new SPS."""

    def __init__(self, template: Any) -> None:
        ctx = template.codec_context
        self.codec: str = ctx.name
        self.media = Media(ctx.name, ctx.width or None, ctx.height or None)
        self.sps: bytes | None = None

    def changed(self, packet: Any) -> bool:
        """Whether this keyframe starts another kind of picture than the last one."""
        sps = find_sps(self.codec, bytes(memoryview(packet)[:HEAD_BYTES]))
        if sps is None or sps == self.sps:
            return False
        first, self.sps = self.sps is None, sps
        if first:
            return False  # the connection's own SPS: what the probe already says
        size = decoded_size(self.codec, packet)
        if size is not None:
            self.media = Media(self.codec, *size)
        return True

"""Privacy masking of decoded pictures: polygons → a per-resolution pixel mask → the
masked area painted grey straight in the YUV planes (no RGB round trip) → H.264.

Polygons are fractions of the picture (0..1, see ``models.PrivacyMask``). They are
rasterised once per (picture size, pixel format, polygons) and kept in a small cache;
painting a frame is then one ``numpy.copyto`` per plane inside the mask's bounding box.
The mask is widened to whole chroma blocks: a chroma sample covering a masked pixel is
masked, and so are all the luma pixels under it, so that no colour nor brightness of
a masked area leaks at its edges.

``transcode_masked`` is what playback, live and exports call (see docs/masks.md).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

Polygons = tuple[tuple[tuple[float, float], ...], ...]

# Neutral grey: Y mid-range, U and V at zero colour. Uniform, so the tests and the
# evidence checks can tell a masked area at a glance.
MASK_LUMA = 128
MASK_CHROMA = 128
PTS_HZ = 90_000
KEYFRAME_SECONDS = 2.0
CACHE_SIZE = 16


class MaskingCancelled(Exception):
    """The caller's ``cancelled()`` said stop: the partial output was removed."""


# --------------------------------------------------------------------------- polygons


def polygons_for(camera: Any) -> Polygons:
    """The enabled masks' polygons of a camera (a Camera or its id); () if none."""
    from vigie.recording.models import PrivacyMask

    camera_id = getattr(camera, "pk", camera)
    rows = (
        PrivacyMask.objects.unrestricted()
        .filter(camera_id=camera_id, enabled=True)
        .order_by("pk")
        .values_list("polygons", flat=True)
    )
    return tuple(
        tuple((float(x), float(y)) for x, y in polygon)
        for polygons in rows
        for polygon in polygons
        if len(polygon) >= 3
    )


def mask_key(polygons: Polygons) -> str:
    """A short stable digest of the polygons: the masked renditions' cache key (any
    change of a mask, its disabling included, gives another key)."""
    text = json.dumps([[[round(x, 6), round(y, 6)] for x, y in p] for p in polygons])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- rasterising


def rasterise(polygons: Polygons, width: int, height: int) -> np.ndarray:
    """A (height, width) boolean array: True for pixels whose centre lies inside any
    polygon (even-odd rule per polygon, union over polygons). Scanline fill: per row,
    the crossings of every edge with the row's centre line."""
    mask = np.zeros((height, width), dtype=bool)
    centres_y = np.arange(height, dtype=np.float64) + 0.5
    for polygon in polygons:
        points = np.asarray(polygon, dtype=np.float64) * (width, height)
        x0, y0 = points[:, 0], points[:, 1]
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        low, high = np.minimum(y0, y1), np.maximum(y0, y1)
        for row in range(int(max(low.min(), 0)), min(int(np.ceil(high.max())), height)):
            cy = centres_y[row]
            crossing = (low <= cy) & (cy < high)
            if not crossing.any():
                continue
            t = (cy - y0[crossing]) / (y1[crossing] - y0[crossing])
            xs = np.sort(x0[crossing] + t * (x1[crossing] - x0[crossing]))
            for a, b in zip(xs[0::2], xs[1::2], strict=False):
                # Pixel i is inside when its centre i + 0.5 is within [a, b).
                first = max(int(np.ceil(a - 0.5)), 0)
                last = min(int(np.ceil(b - 0.5)), width)
                if last > first:
                    mask[row, first:last] ^= True
    return mask


@dataclass(frozen=True)
class PlaneMask:
    """One polygon's area in one plane, cut to its bounding box (rows y0:y1, columns
    x0:x1); ``where`` is None when the box is filled whole (a rectangle)."""

    y0: int
    y1: int
    x0: int
    x1: int
    where: np.ndarray | None  # bool, (y1 - y0, x1 - x0)
    value: int


@dataclass(frozen=True)
class FrameMask:
    width: int
    height: int
    planes: tuple[tuple[PlaneMask, ...], ...]  # per plane, one box per polygon
    coverage: float  # share of the picture masked (luma), for the benchmark and logs


def _blocks(mask: np.ndarray, sx: int, sy: int) -> np.ndarray:
    """A chroma-resolution mask: a block is masked if any of its pixels is."""
    h, w = mask.shape
    ph, pw = -(-h // sy), -(-w // sx)
    padded = np.zeros((ph * sy, pw * sx), dtype=bool)
    padded[:h, :w] = mask
    blocks = np.asarray(padded.reshape(ph, sy, pw, sx).any(axis=(1, 3)))
    return blocks


def _plane_mask(where: np.ndarray, value: int) -> PlaneMask | None:
    rows, cols = np.flatnonzero(where.any(axis=1)), np.flatnonzero(where.any(axis=0))
    if rows.size == 0:
        return None
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    box = where[y0:y1, x0:x1]
    # A filled box is painted with a plain slice assignment, the fastest numpy has.
    return PlaneMask(y0, y1, x0, x1, None if box.all() else np.ascontiguousarray(box), value)


def build_mask(
    polygons: Polygons, width: int, height: int, plane_sizes: Sequence[tuple[int, int]]
) -> FrameMask:
    """Masks for each plane of a planar YUV picture; ``plane_sizes`` are (w, h) per
    plane, the first being luma. Subsampling is read from the sizes. Each polygon gets
    its own bounding box, so that painting touches about the masked area only (a union
    box of polygons in opposite corners would be the whole picture)."""
    sx = sy = 1
    for w, h in plane_sizes[1:]:
        sx, sy = max(sx, round(width / max(w, 1))), max(sy, round(height / max(h, 1)))
    planes: list[list[PlaneMask]] = [[] for _ in plane_sizes]
    union = np.zeros((height, width), dtype=bool)
    for polygon in polygons:
        block = _blocks(rasterise((polygon,), width, height), sx, sy)
        widened = np.repeat(np.repeat(block, sy, axis=0), sx, axis=1)[:height, :width]
        union |= widened
        for number, (w, h) in enumerate(plane_sizes):
            if number == 0:
                where, value = widened, MASK_LUMA
            else:
                rx, ry = round(width / max(w, 1)), round(height / max(h, 1))
                where = block if (rx, ry) == (sx, sy) else _blocks(widened, rx, ry)
                where, value = where[:h, :w], MASK_CHROMA
            found = _plane_mask(where, value)
            if found is not None:
                planes[number].append(found)
    return FrameMask(width, height, tuple(tuple(p) for p in planes), float(union.mean()))


class MaskCache:
    """Frame masks per (polygons, size, pixel format), least recently used out."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], FrameMask] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0

    def get(self, polygons: Polygons, frame: Any) -> FrameMask:
        sizes = tuple((p.width, p.height) for p in frame.planes)
        key = (mask_key(polygons), frame.width, frame.height, frame.format.name, sizes)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        built = build_mask(polygons, frame.width, frame.height, sizes)
        with self._lock:
            self.builds += 1
            self._items[key] = built
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return built


CACHE = MaskCache()
# Planar 8-bit YUV formats painted in place; anything else is converted first.
PLANAR_YUV = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p"})


def plane_array(plane: Any) -> np.ndarray:
    """A writable (height, width) view of a plane's bytes (its padding cut off)."""
    raw = np.frombuffer(plane, dtype=np.uint8)
    return raw.reshape(plane.height, plane.line_size)[:, : plane.width]


def paint(frame: Any, mask: FrameMask) -> None:
    """Paint the masked area of a decoded planar YUV frame, in place."""
    for plane, boxes in zip(frame.planes, mask.planes, strict=False):
        if not boxes:
            continue
        array = plane_array(plane)
        for box in boxes:
            view = array[box.y0 : box.y1, box.x0 : box.x1]
            if box.where is None:
                view[...] = box.value
            else:
                np.copyto(view, box.value, where=box.where)


def mask_frame(frame: Any, polygons: Polygons, cache: MaskCache = CACHE) -> Any:
    """The frame with its masked area painted (the same frame when it is planar YUV)."""
    if not polygons:
        return frame
    if frame.format.name not in PLANAR_YUV:
        frame = frame.reformat(format="yuv420p")
    paint(frame, cache.get(polygons, frame))
    return frame


# --------------------------------------------------------------------------- transcoding


def _frames(inputs: Sequence[Path]) -> Iterator[tuple[float, Any, float]]:
    """Decoded frames of the inputs in order as (time from the first input's start,
    frame, frame rate): each file continues where the previous one ended. The frame's
    own ``time`` is left as the file has it."""
    import av

    base = 0.0
    for path in inputs:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = float(stream.average_rate or stream.guessed_rate or 25)
            first: float | None = None
            last = 0.0
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                if first is None:
                    first = frame.time
                last = frame.time - first
                yield base + last, frame, rate
            base += last + 1.0 / rate


def open_encoder(
    output: Path, width: int, height: int, rate: float, *, preset: str, live: bool, threads: int
) -> tuple[Any, Any]:
    """The output container (by the file's extension) and its H.264 stream."""
    import av

    suffix = output.suffix.lower()
    fmt = {".mp4": "mp4", ".m4v": "mp4", ".ts": "mpegts"}.get(suffix)
    if fmt is None:
        raise ValueError(f"unsupported output container: {suffix or output.name}")
    options = {"movflags": "+faststart"} if fmt == "mp4" else {}
    container = av.open(str(output), "w", format=fmt, options=options)
    stream = add_h264_stream(
        container, width, height, rate, preset=preset, live=live, threads=threads
    )
    return container, stream


def add_h264_stream(
    container: Any, width: int, height: int, rate: float, *, preset: str, live: bool, threads: int
) -> Any:
    """A libx264 stream: CRF 23, a keyframe every ~2 s and none on scene cuts (regular
    HLS parts), ``zerolatency`` for live (no frame held back), ``threads`` (0: auto)."""
    fps = Fraction(rate).limit_denominator(1001)
    stream = container.add_stream("libx264", rate=fps)
    stream.width, stream.height = width - width % 2, height - height % 2
    stream.pix_fmt = "yuv420p"
    stream.time_base = Fraction(1, PTS_HZ)
    stream.codec_context.time_base = Fraction(1, PTS_HZ)
    gop = max(round(rate * KEYFRAME_SECONDS), 1)
    stream.codec_context.gop_size = gop
    stream.thread_count = threads
    stream.options = {
        "preset": preset,
        "crf": "23",
        "x264-params": f"scenecut=0:keyint={gop}:min-keyint={gop}",
        **({"tune": "zerolatency"} if live else {}),
    }
    return stream


def transcode_masked(
    inputs: Sequence[Path],
    output: Path,
    polygons: Polygons,
    *,
    start_offset_s: float = 0.0,
    duration_s: float | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    preset: str = "veryfast",
    threads: int = 0,
    keep_timestamps: bool = False,
) -> None:
    """Decode the MPEG-TS ``inputs`` in order as one continuous stream, keep
    [start_offset_s, start_offset_s + duration_s), paint the polygons, encode H.264
    into ``output`` (MP4 or MPEG-TS by its extension). ``progress(fraction, message)``
    is called about once a second of footage; ``cancelled()`` is asked as often and a
    True stops with ``MaskingCancelled``. A failed or cancelled run leaves no output.

    The output starts at time 0, unless ``keep_timestamps`` (one input, for the masked
    playback cache): then each picture keeps its input time, so that masked segments
    follow each other as the raw ones do."""
    output = Path(output)
    options = _Options(preset, threads, keep_timestamps)
    try:
        _transcode(
            inputs, output, polygons, start_offset_s, duration_s, progress, cancelled, options
        )
    except BaseException:
        output.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class _Options:
    preset: str
    threads: int
    keep_timestamps: bool


def _transcode(
    inputs: Sequence[Path],
    output: Path,
    polygons: Polygons,
    start: float,
    duration: float | None,
    progress: Callable[[float, str], None] | None,
    cancelled: Callable[[], bool] | None,
    options: _Options,
) -> None:
    container: Any = None
    stream: Any = None
    end = None if duration is None else start + duration
    done_at = -1.0
    last_pts = -1
    try:
        for t, frame, rate in _frames(inputs):
            if end is not None and t >= end:
                break
            if t < start:
                continue
            if container is None:
                container, stream = open_encoder(
                    output, frame.width, frame.height, rate, preset=options.preset,
                    live=False, threads=options.threads,
                )  # fmt: skip
            at = frame.time if options.keep_timestamps else t - start
            last_pts = encode_frame(container, stream, mask_frame(frame, polygons), at, last_pts)
            if t - done_at >= 1.0:
                done_at = t
                if cancelled is not None and cancelled():
                    raise MaskingCancelled("masking cancelled")
                if progress is not None:
                    share = (t - start) / duration if duration else 0.0
                    progress(min(share, 1.0), f"{t - start:.0f} s")
        if container is None:
            raise ValueError("no picture in the requested range")
        for packet in stream.encode(None):
            container.mux(packet)
        if progress is not None:
            progress(1.0, "done")
    finally:
        if container is not None:
            container.close()


def encode_frame(
    container: Any, stream: Any, frame: Any, seconds: float, last_pts: int = -1
) -> int:
    """Encode one picture at ``seconds`` from the output's start; returns its pts
    (kept strictly increasing: x264 refuses a repeated one)."""
    import av

    if (
        frame.format.name != "yuv420p"
        or frame.width != stream.width
        or (frame.height != stream.height)
    ):
        frame = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
    frame.pts = max(round(seconds * PTS_HZ), last_pts + 1)
    frame.time_base = Fraction(1, PTS_HZ)
    frame.pict_type = av.video.frame.PictureType.NONE  # the encoder chooses keyframes
    for packet in stream.encode(frame):
        container.mux(packet)
    return int(frame.pts)


def masked_jpeg(source: Path, offset_s: float, polygons: Polygons) -> bytes:
    """A masked JPEG of the first picture at or after ``offset_s`` seconds into a file
    (a keyframe's offset, as ``tsindex`` gives it)."""
    import av

    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        first_time = None
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            if first_time is None:
                first_time = frame.time
                if offset_s > 1.0 and stream.time_base is not None:
                    # Jump near the keyframe instead of decoding the whole file.
                    target = int((first_time + offset_s - 0.05) / stream.time_base)
                    container.seek(target, stream=stream, backward=True)
                    continue
            if frame.time - first_time >= offset_s - 0.02:
                return _jpeg(mask_frame(frame, polygons))
    raise ValueError("no picture at this offset")


def _jpeg(frame: Any) -> bytes:
    import av

    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height = frame.width, frame.height
    codec.pix_fmt = "yuvj420p"
    codec.time_base = Fraction(1, 25)
    codec.options = {"qmin": "2", "qmax": "6"}
    picture = frame.reformat(format="yuvj420p")
    picture.pts = 0
    data = b"".join(bytes(p) for p in codec.encode(picture))
    data += b"".join(bytes(p) for p in codec.encode(None))
    return data

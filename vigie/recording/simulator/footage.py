"""The clips simulated cameras loop: made once with FFmpeg, cached, reused.

Every clip is turned once into the same shape, whatever its source: an Annex-B
elementary stream (H.264 main profile, or H.265 with libx265) at its native size and
frame rate, constant frame rate, no B-frames (decode order = display order, so a
frame's timestamp is just its index), a keyframe every 2 s carrying its parameter
sets (a client may join at any keyframe) and one access unit delimiter per frame (the
server cuts frames there without parsing slices). Audio is dropped.

Besides each camera's regular clip, a camera may serve *variants* (``variant_clip``):
the same footage in the other codec, a small test pattern of a given size, a pattern
whose resolution changes half-way through its loop, or an audio-only AAC stream. They
are made and cached the same way.

Cache: ``<VIGIE_DATA_DIR>/simulator/<name>-<key>.<codec>`` plus ``.json`` metadata,
where the key hashes the source file (path, size, mtime) and the recipe, so a changed
source or recipe makes a new entry. Files appear by atomic rename: a concurrent run
at worst encodes the same clip twice, never reads half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

CODECS = ("h264", "h265")
AUDIO = "aac"
# "h264", "h265@640x360", "h264@1280x720+640x360" (a size change inside the stream).
_VARIANT = re.compile(r"^(h264|h265)(?:@(\d+)x(\d+)(?:\+(\d+)x(\d+))?)?$")
# Variant patterns are short: encoding stays cheap (~1 s at 640x360, ~4 s for H.265 720p).
VARIANT_SECONDS = 6
AUDIO_RATE = 16_000  # Hz; AAC frames hold 1024 samples each
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".ts", ".m4v", ".webm", ".mpg", ".mpeg"}
KEYFRAME_SECONDS = 2
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# Bump when the encoding settings change, so that old cache entries are not reused.
RECIPE_VERSION = "2"


class FootageError(RuntimeError):
    """A clip could not be found, probed or encoded."""


@dataclass(frozen=True)
class Clip:
    """A cached elementary stream ready to be looped by the RTSP server."""

    path: str
    codec: str  # "h264" | "h265" | "aac"
    fps: str  # frames per second as a fraction, e.g. "25/1" (AAC: rate / 1024)
    width: int
    height: int
    duration: float  # seconds of one loop
    source: str  # the original file, or "testsrc2"


def cache_dir() -> Path:
    """``VIGIE_DATA_DIR/simulator`` (the same default as vigie.config: ./var)."""
    return Path(os.environ.get("VIGIE_DATA_DIR", "var")).resolve() / "simulator"


def _run(args: list[str], what: str) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FootageError(f"{what}: {exc}") from exc
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        raise FootageError(f"{what}: {args[0]} failed: {' / '.join(tail)}")
    return done.stdout


def probe_video(path: Path) -> dict[str, str]:
    """The first video stream's codec, size and frame rate, as ffprobe reports them."""
    out = _run(
        [
            "ffprobe", "-v", "error", "-select_streams", "v:0",
            "-show_entries",
            "stream=codec_name,width,height,r_frame_rate,avg_frame_rate:format=duration",
            "-of", "json", str(path),
        ],
        f"probing {path}",
    )  # fmt: skip
    data = json.loads(out)
    streams = data.get("streams") or []
    if not streams:
        raise FootageError(f"{path}: no video stream")
    info = {key: str(value) for key, value in streams[0].items()}
    info["duration"] = str((data.get("format") or {}).get("duration") or "")
    return info


def _frame_rate(info: dict[str, str]) -> Fraction:
    # r_frame_rate first: AVI's avg_frame_rate counts its empty packets (50 for 25 fps).
    for key in ("r_frame_rate", "avg_frame_rate"):
        try:
            rate = Fraction(info.get(key, "0/0"))
        except (ValueError, ZeroDivisionError):
            continue
        if 1 <= rate <= 120:
            return rate.limit_denominator(1001)
    return Fraction(25)


def encoder_args(codec: str, fps: Fraction, width: int, height: int) -> list[str]:
    """FFmpeg output options giving the uniform stream described at the top."""
    gop = str(max(1, round(fps * KEYFRAME_SECONDS)))
    # ~2 Mbit/s at 720p, scaled with the picture, as a typical CCTV camera.
    kbps = max(400, round(2000 * width * height / (1280 * 720)))
    rate = [f"-b:v {kbps}k", f"-maxrate {kbps}k", f"-bufsize {2 * kbps}k"]
    common = ["-an", "-sn", "-dn", "-r", str(fps), "-pix_fmt", "yuv420p", "-g", gop]
    common += [part for item in rate for part in item.split()]
    if codec == "h264":
        return [
            *common, "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main",
            "-bf", "0", "-keyint_min", gop, "-sc_threshold", "0",
            "-bsf:v", "h264_metadata=aud=insert", "-f", "h264",
        ]  # fmt: skip
    params = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:open-gop=0:log-level=error"
    return [
        *common, "-c:v", "libx265", "-preset", "veryfast", "-x265-params", params,
        "-bsf:v", "hevc_metadata=aud=insert", "-f", "hevc",
    ]  # fmt: skip


def _cache_key(*parts: object) -> str:
    text = "\0".join(str(part) for part in (RECIPE_VERSION, *parts))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _load_cached(target: Path) -> Clip | None:
    meta = target.with_suffix(".json")
    if not (target.is_file() and meta.is_file()):
        return None
    try:
        return Clip(**json.loads(meta.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None


def _encode(input_args: list[str], target: Path, clip: Clip, extra: list[str]) -> Clip:
    """Run FFmpeg into a temporary file, then publish clip and metadata atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared by the users
    try:
        args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
        _run([*args, *input_args, *extra, tmp], f"encoding {clip.source}")
        if os.path.getsize(tmp) == 0:
            raise FootageError(f"encoding {clip.source}: empty output")
        meta_tmp = tmp + ".json"
        Path(meta_tmp).write_text(json.dumps(asdict(clip)), encoding="utf-8")
        os.replace(tmp, target)
        os.replace(meta_tmp, target.with_suffix(".json"))
    finally:
        for leftover in (tmp, tmp + ".json"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return clip


def require_ffmpeg() -> None:
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            raise FootageError(f"{tool} is not installed (Debian package ffmpeg)")


def pattern_clip(
    codec: str = "h264",
    cache: Path | None = None,
    *,
    size: tuple[int, int] = (1280, 720),
    seconds: int = 30,
) -> Clip:
    """A test pattern with moving shapes and a burned-in clock (1280×720 25 fps 30 s
    unless asked otherwise)."""
    require_ffmpeg()
    cache = cache or cache_dir()
    fps, (width, height) = Fraction(25), size
    text = ""
    if FONT.is_file():
        # The clock shows the position in the loop (the pattern is made once, not live).
        fontsize = max(12, height // 18)
        text = (
            f",drawtext=fontfile={FONT}:text='Vigie simulated camera  %{{pts\\:hms}}'"
            f":fontsize={fontsize}:fontcolor=white:box=1:boxcolor=black@0.6:x=24:y=24"
        )
    source = f"testsrc2=size={width}x{height}:rate={fps}{text}"
    # The default pattern keeps its historical key, so existing caches stay valid.
    key = _cache_key(source, codec, *([] if seconds == 30 else [seconds]))
    target = cache / f"testsrc2-{key}.{codec}"
    cached = _load_cached(target)
    if cached is not None:
        return cached
    clip = Clip(str(target), codec, str(fps), width, height, float(seconds), "testsrc2")
    inputs = ["-f", "lavfi", "-i", source, "-t", str(seconds)]
    return _encode(inputs, target, clip, encoder_args(codec, fps, width, height))


def transcode(source: Path, codec: str = "h264", cache: Path | None = None) -> Clip:
    """The cached uniform version of one real clip (encoded on first use only)."""
    require_ffmpeg()
    cache = cache or cache_dir()
    source = source.resolve()
    stat = source.stat()
    key = _cache_key(source, stat.st_size, stat.st_mtime_ns, codec)
    target = cache / f"{source.stem}-{key}.{codec}"
    cached = _load_cached(target)
    if cached is not None:
        return cached
    info = probe_video(source)
    fps, width, height = _frame_rate(info), int(info["width"]), int(info["height"])
    duration = float(info.get("duration") or 0) or 10.0
    clip = Clip(str(target), codec, str(fps), width, height, duration, str(source))
    return _encode(["-i", str(source)], target, clip, encoder_args(codec, fps, width, height))


def footage_clips(folder: Path, codec: str = "h264", cache: Path | None = None) -> list[Clip]:
    """Every video file of ``folder`` (sorted by name), each transcoded once."""
    if not folder.is_dir():
        raise FootageError(f"{folder}: not a folder")
    sources = sorted(path for path in folder.iterdir() if path.suffix.lower() in VIDEO_SUFFIXES)
    if not sources:
        raise FootageError(f"{folder}: no video files ({', '.join(sorted(VIDEO_SUFFIXES))})")
    return [transcode(path, codec, cache) for path in sources]


# ---------------------------------------------------------------- variants


def audio_clip(cache: Path | None = None) -> Clip:
    """A stream with no video at all (a camera's microphone alone, a misconfigured
    encoder): a 440 Hz tone, AAC-LC 16 kHz mono in ADTS frames."""
    require_ffmpeg()
    cache = cache or cache_dir()
    source = f"sine=frequency=440:sample_rate={AUDIO_RATE}"
    target = cache / f"sine-{_cache_key(source, AUDIO)}.{AUDIO}"
    cached = _load_cached(target)
    if cached is not None:
        return cached
    fps = Fraction(AUDIO_RATE, 1024)
    clip = Clip(str(target), AUDIO, str(fps), 0, 0, float(VARIANT_SECONDS), "sine")
    inputs = ["-f", "lavfi", "-i", source, "-t", str(VARIANT_SECONDS)]
    extra = ["-vn", "-ac", "1", "-c:a", "aac", "-b:a", "32k", "-f", "adts"]
    return _encode(inputs, target, clip, extra)


def resizing_clip(codec: str, sizes: list[tuple[int, int]], cache: Path | None = None) -> Clip:
    """A pattern whose picture size changes inside the stream (first size, then the
    next…), without the session dropping: the parts are Annex-B streams whose first
    keyframe carries the new parameter sets, so they are simply concatenated."""
    cache = cache or cache_dir()
    parts = [pattern_clip(codec, cache, size=size, seconds=VARIANT_SECONDS) for size in sizes]
    key = _cache_key("resizing", codec, *(part.path for part in parts))
    target = cache / f"resizing-{key}.{codec}"
    cached = _load_cached(target)
    if cached is not None:
        return cached
    first = parts[0]
    duration = sum(part.duration for part in parts)
    clip = Clip(str(target), codec, first.fps, first.width, first.height, duration, "resizing")
    fd, tmp = tempfile.mkstemp(dir=cache, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                out.write(Path(part.path).read_bytes())
        os.chmod(tmp, 0o644)
        target.with_suffix(".json").write_text(json.dumps(asdict(clip)), encoding="utf-8")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return clip


def parse_variant(name: str) -> tuple[str, list[tuple[int, int]]]:
    """``"aac"`` → ("aac", []); ``"h265@640x360"`` → ("h265", [(640, 360)]);
    ``"h264"`` → ("h264", []) (the camera's own footage in that codec)."""
    if name == AUDIO:
        return AUDIO, []
    match = _VARIANT.match(name)
    if match is None:
        raise FootageError(
            f"unknown stream variant {name!r}: h264, h265, CODEC@WxH, CODEC@WxH+WxH or aac"
        )
    numbers = [int(n) for n in match.groups()[1:] if n is not None]
    sizes = list(zip(numbers[::2], numbers[1::2], strict=True))
    if any(not (16 <= n <= 4096 and n % 2 == 0) for n in numbers):
        raise FootageError(f"{name!r}: sizes must be even, 16 to 4096")
    return match.group(1), sizes


def variant_clip(name: str, regular: Clip, cache: Path | None = None) -> Clip:
    """The clip of one stream variant for a camera whose regular clip is ``regular``."""
    codec, sizes = parse_variant(name)
    if codec == AUDIO:
        return audio_clip(cache)
    if len(sizes) > 1:
        return resizing_clip(codec, sizes, cache)
    if sizes:
        return pattern_clip(codec, cache, size=sizes[0], seconds=VARIANT_SECONDS)
    if regular.codec == codec:
        return regular
    if regular.source == "testsrc2":
        return pattern_clip(codec, cache)
    return transcode(Path(regular.source), codec, cache)

"""Masking benchmark: CPU cost of serving a masked camera (decode → mask → encode).

Encodes the shared 1280×720 H.264 clip (pedestrians) once into MPEG-TS at 720p and,
scaled, at 1080p (~2 and ~4 Mbit/s, a keyframe every 2 s, as a camera sends), then
for each size measures with the process's CPU time (user + system, every thread):

- masked live: decode + mask (3 polygons, ~15 % of the picture) + libx264 superfast
  zerolatency, one encoder thread: ``masked_realtime_per_core_*`` = seconds of video
  processed ÷ CPU seconds (× real time per core);
- the same with ultrafast (the cheapest x264 preset, larger files), for comparison;
- masked playback: the playback cache's settings (superfast, no zerolatency), and
  masked export: ``transcode_masked``'s default (veryfast);
- the baseline in the same run: decode + encode without the mask, decode alone, and the
  mask step alone per frame (µs).

``extra_cpu_pct_per_watched_masked_camera``: the % of one core a watched masked 720p
camera costs at real-time rate (100 ÷ the live figure). Prints one JSON line.

    .venv/bin/python bench/masking.py [--seconds 14]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vigie.core.shared_data import shared_data  # noqa: E402
from vigie.recording import masking  # noqa: E402

CLIP = shared_data("pedestrians_vtest.avi")
# Three polygons, ~15 % of the picture: a façade, a corner window, a doorway.
POLYGONS: masking.Polygons = (
    ((0.0, 0.0), (0.2, 0.0), (0.2, 0.3), (0.0, 0.3)),
    ((0.7, 0.0), (1.0, 0.0), (1.0, 0.4)),
    ((0.4, 0.8), (0.55, 0.8), (0.55, 1.0), (0.4, 1.0)),
)
SIZES = {"720p": (1280, 720, "2M"), "1080p": (1920, 1080, "4M")}


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_source(folder: Path, name: str, seconds: float) -> Path:
    width, height, rate = SIZES[name]
    out = folder / f"{name}.ts"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(CLIP), "-t", str(seconds),
         "-an", "-vf", f"scale={width}:{height}", "-c:v", "libx264", "-preset", "fast",
         "-b:v", rate, "-g", "50", "-pix_fmt", "yuv420p", "-f", "mpegts", str(out)],
        check=True, timeout=300,
    )  # fmt: skip
    return out


def decoded(source: Path) -> Any:
    import av

    container = av.open(str(source))
    stream = container.streams.video[0]
    stream.thread_count = 1
    rate = float(stream.average_rate or 25)
    return container, stream, rate


def run(source: Path, out: Path, *, mask: bool, encode: bool, preset: str, live: bool) -> float:
    """Seconds of video processed (CPU time is read around the call)."""
    container, stream, rate = decoded(source)
    output = enc = None
    frames, last_pts = 0, -1
    cache = masking.MaskCache()
    for frame in container.decode(stream):
        frames += 1
        if mask:
            frame = masking.mask_frame(frame, POLYGONS, cache)
        if encode:
            if output is None:
                output, enc = masking.open_encoder(
                    out, frame.width, frame.height, rate, preset=preset, live=live, threads=1
                )
            last_pts = masking.encode_frame(output, enc, frame, frames / rate, last_pts)
    if output is not None:
        for packet in enc.encode(None):
            output.mux(packet)
        output.close()
    container.close()
    return frames / rate


def measure(step: Callable[[], float]) -> float:
    """× real time per core: video seconds ÷ CPU seconds."""
    before = cpu()
    seconds = step()
    return seconds / max(cpu() - before, 1e-9)


def mask_step_us(source: Path) -> tuple[float, float]:
    """Microseconds per frame of the mask step alone (cache warm), and the coverage."""
    container, stream, _rate = decoded(source)
    frame = next(iter(container.decode(stream)))
    container.close()
    cache = masking.MaskCache()
    masking.mask_frame(frame, POLYGONS, cache)
    rounds = 300
    start = time.process_time()  # CPU time: other processes' load does not count
    for _ in range(rounds):
        masking.mask_frame(frame, POLYGONS, cache)
    per_frame = (time.process_time() - start) / rounds * 1e6
    built = cache.get(POLYGONS, frame)
    return per_frame, built.coverage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=14.0)
    args = parser.parse_args()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="vigie-bench-mask-") as tmp:
        folder = Path(tmp)
        for name in SIZES:
            source = make_source(folder, name, args.seconds)
            out = folder / f"{name}-out.ts"

            def go(**kw: Any) -> float:
                return measure(lambda: run(source, out, **kw))  # noqa: B023

            live = go(mask=True, encode=True, preset="superfast", live=True)
            result[f"masked_realtime_per_core_{name}"] = round(live, 2)
            result[f"masked_ultrafast_realtime_per_core_{name}"] = round(
                go(mask=True, encode=True, preset="ultrafast", live=True), 2
            )
            result[f"masked_playback_realtime_per_core_{name}"] = round(
                go(mask=True, encode=True, preset="superfast", live=False), 2
            )
            result[f"masked_export_realtime_per_core_{name}"] = round(
                go(mask=True, encode=True, preset="veryfast", live=False), 2
            )
            result[f"baseline_decode_encode_realtime_per_core_{name}"] = round(
                go(mask=False, encode=True, preset="superfast", live=True), 2
            )
            result[f"baseline_decode_realtime_per_core_{name}"] = round(
                go(mask=False, encode=False, preset="superfast", live=True), 1
            )
            per_frame, coverage = mask_step_us(source)
            result[f"mask_step_us_per_frame_{name}"] = round(per_frame, 1)
            result["mask_coverage"] = round(coverage, 3)
    result["extra_cpu_pct_per_watched_masked_camera"] = round(
        100.0 / result["masked_realtime_per_core_720p"], 1
    )
    result["clip_seconds"] = args.seconds
    print(json.dumps(result))


if __name__ == "__main__":
    main()

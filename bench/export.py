"""Export benchmark (issue 5): an evidence package of 4 cameras × 1 h, against `cat`.

    VIGIE_DATA_DIR=$(mktemp -d) .venv/bin/python bench/export.py [--cameras 4] [--seconds 3600]

Makes 1 h of recorded footage per camera by stream copy of the shared clip
(``intersection_traffic.mp4``, 640×480 H.264; else an FFmpeg test pattern encoded once),
cut into ~60 s MPEG-TS segments like the recorder's, in a temporary folder. Then, in
the same run, with the files in the page cache:

- ``cat`` of every segment of every camera into one file (the baseline: the same bytes
  read and written once), timed before and after the export (mean of the two);
- the PDF renderer loaded first, as ``vigie export-worker`` does when it starts (~2 s
  once per process);
- ``build_package`` of the 4 items by stream copy (MP4s with subtitles, hashes, zip,
  manifest, signature, PDF; no ISO), timed as a whole;
- a masked export of ``--masked-seconds`` of 720p footage (the shared
  ``pedestrians_vtest.avi`` re-encoded once to H.264, else a 720p test pattern),
  measured in CPU seconds of this process and its threads.

Prints one JSON line:

- export_vs_cat_ratio: cat time ÷ export time (goal ≥ 0.5);
- footage_vs_cat_ratio: cat time ÷ the footage phase alone (the MP4s, before hashing,
  zip and report);
- masked_export_realtime_per_core_720p: seconds of video ÷ CPU seconds of the masked
  export (goal ≥ 3), null with a note if the masking is not available;
- package: the path of the package made, left in place (with its .zip) for a look.

No database is used: the export items are built directly.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vigie.core.shared_data import shared_data  # noqa: E402

CLIP = shared_data("intersection_traffic.mp4")
CLIP_720P = shared_data("pedestrians_vtest.avi")
T0 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
SEGMENT_SECONDS = 60
MASK = (((0.05, 0.05), (0.45, 0.05), (0.45, 0.6), (0.05, 0.6)),)


def ffmpeg(*args: str, timeout: int = 900) -> None:
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", *args]
    subprocess.run(command, check=True, timeout=timeout)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    import django

    django.setup()


def source_clip(folder: Path, clip: Path, size: str, rate: int) -> tuple[Path, str]:
    """An H.264 clip to loop: the shared one as it is, else a test pattern made once."""
    if clip.exists() and clip.suffix == ".mp4":
        return clip, clip.name
    out = folder / f"clip-{size}.ts"
    if clip.exists():  # AVI timestamps do not copy well: encode once, GOP of 2 s
        ffmpeg("-i", str(clip), "-map", "0:v", "-c:v", "libx264", "-preset", "veryfast",
               "-g", str(2 * rate), "-pix_fmt", "yuv420p", str(out))  # fmt: skip
        return out, f"{clip.name} (encoded once)"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}", "-t", "20",
           "-c:v", "libx264", "-preset", "veryfast", "-g", str(2 * rate),
           "-pix_fmt", "yuv420p", str(out))  # fmt: skip
    return out, "FFmpeg test pattern (encoded once)"


def record(clip: Path, folder: Path, seconds: int) -> list[Path]:
    """``seconds`` of footage by stream copy of the looped clip, in ~60 s segments."""
    folder.mkdir(parents=True, exist_ok=True)
    ffmpeg("-stream_loop", "-1", "-i", str(clip), "-map", "0:v", "-c", "copy",
           "-t", str(seconds), "-f", "segment", "-segment_time", str(SEGMENT_SECONDS),
           "-segment_format", "mpegts", str(folder / "seg%04d.ts"))  # fmt: skip
    return sorted(folder.glob("seg*.ts"))


def segment_files(paths: list[Path], seconds: int) -> tuple[Any, ...]:
    """Each segment with its wall-clock span, from its first timestamp."""
    import av

    from vigie.evidence.package import SegmentFile

    firsts = []
    for path in paths:
        with av.open(str(path)) as c:
            stream = c.streams.video[0]
            pts = next(p.pts for p in c.demux(stream) if p.pts is not None)
            assert stream.time_base is not None
            firsts.append(float(pts * stream.time_base))
    starts = [T0 + timedelta(seconds=f - firsts[0]) for f in firsts]
    ends = [*starts[1:], T0 + timedelta(seconds=seconds)]
    return tuple(SegmentFile(p, s, e, "") for p, s, e in zip(paths, starts, ends, strict=True))


def items(cameras: list[tuple[Any, ...]], seconds: int, masks: Any = ()) -> tuple[Any, ...]:
    from vigie.evidence.package import ExportItem

    return tuple(
        ExportItem(
            camera_id=n + 1,
            camera_name=f"BENCH-{n + 1:02d}",
            camera_location="Banc d'essai",
            start=T0,
            end=T0 + timedelta(seconds=seconds),
            segments=segments,
            gaps=(),
            masks=masks,
        )
        for n, segments in enumerate(cameras)
    )


def package_request(export_items: tuple[Any, ...]) -> Any:
    from vigie.evidence.package import PackageRequest

    return PackageRequest(
        items=export_items,
        requisition={"reference": "BENCH-EXPORT", "facts": "benchmark"},
        member={"slug": "bench", "name": "Bench", "insee_code": "00000"},
        operator="bench",
        software_version="bench",
    )


def time_cat(paths: list[Path], out: Path) -> float:
    started = time.perf_counter()
    with out.open("wb") as f:
        subprocess.run(["cat", *map(str, paths)], stdout=f, check=True)
    elapsed = time.perf_counter() - started
    out.unlink()
    return elapsed


def warm(paths: list[Path]) -> None:
    for path in paths:
        with path.open("rb") as f:
            while f.read(1 << 22):
                pass


def cpu_seconds() -> float:
    # Children too: large remuxes run in worker processes (vigie/evidence/fastmp4).
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def masked_figure(work: Path, seconds: int) -> tuple[float | None, str]:
    from vigie.evidence.package import build_package

    try:
        import vigie.recording.masking  # noqa: F401
    except ImportError as exc:
        return None, f"masking not available: {exc}"
    clip, what = source_clip(work, CLIP_720P, "1280x720", 25)
    footage = record(clip, work / "masked", seconds + 10)
    segments = segment_files(footage, seconds + 10)
    request = package_request(items([segments], seconds, masks=MASK))
    from vigie.evidence.package import MASKED_PRESET

    before = cpu_seconds()
    build_package(request, work / "masked-out")
    used = cpu_seconds() - before
    note = f"{seconds} s of 720p from {what}, x264 {MASKED_PRESET}, {used:.1f} CPU s"
    return round(seconds / used, 2), note


def stream_copy_figures(work: Path, out: Path, cameras_n: int, seconds: int) -> dict[str, Any]:
    from vigie.core import pdf
    from vigie.evidence.package import FOOTAGE_SHARE, build_package

    clip, what = source_clip(work, CLIP, "640x480", 30)
    first = record(clip, work / "cam01", seconds)
    cameras = [first]
    for n in range(2, cameras_n + 1):
        folder = work / f"cam{n:02d}"
        folder.mkdir()
        cameras.append([Path(shutil.copy(p, folder / p.name)) for p in first])
    every = [p for paths in cameras for p in paths]
    warm(every)
    pdf.warm()  # as the export worker does when it starts
    cat_before = time_cat(every, work / "cat.out")
    export_items = items([segment_files(p, seconds) for p in cameras], seconds)
    phases: dict[str, float] = {}
    started, cpu_before = time.perf_counter(), cpu_seconds()

    def progress(fraction: float, _text: str) -> None:
        if fraction >= FOOTAGE_SHARE and "footage" not in phases:
            phases["footage"] = time.perf_counter() - started

    result = build_package(package_request(export_items), out, progress=progress)
    export_s = time.perf_counter() - started
    export_cpu_s = cpu_seconds() - cpu_before
    cat_after = time_cat(every, work / "cat.out")
    cat_s = (cat_before + cat_after) / 2
    data = sum(p.stat().st_size for p in every)
    return {
        "export_vs_cat_ratio": round(cat_s / export_s, 3),
        "footage_vs_cat_ratio": round(cat_s / phases.get("footage", export_s), 3),
        "package": str(result.directory),
        "zip": str(result.zip_path),
        "cameras": cameras_n,
        "seconds_per_camera": seconds,
        "segment_bytes": data,
        "cat_s": round(cat_s, 3),
        "cat_s_before_after": [round(cat_before, 3), round(cat_after, 3)],
        "export_s": round(export_s, 3),
        "footage_phase_s": round(phases.get("footage", export_s), 3),
        "export_cpu_s": round(export_cpu_s, 3),
        "export_mb_per_s": round(data / export_s / 1e6, 1),
        "source": what,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=3600)
    parser.add_argument("--masked-seconds", type=int, default=60)
    parser.add_argument("--out", type=Path, help="where the package goes (default: a temp dir)")
    args = parser.parse_args()
    setup_django()
    work = Path(tempfile.mkdtemp(prefix="vigie-bench-export-"))
    out = args.out or Path(tempfile.mkdtemp(prefix="vigie-bench-package-"))
    try:
        figures = stream_copy_figures(work, out, args.cameras, args.seconds)
        masked, masked_note = masked_figure(work, args.masked_seconds)
        line = {
            "export_vs_cat_ratio": figures.pop("export_vs_cat_ratio"),
            "masked_export_realtime_per_core_720p": masked,
            "masked_note": masked_note,
            **figures,
            "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(line))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

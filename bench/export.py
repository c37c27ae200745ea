"""Export benchmark (issue 5): an evidence package of 4 cameras × 1 h, against `cat`.

    VIGIE_DATA_DIR=$(mktemp -d) .venv/bin/python bench/export.py [--cameras 4] [--seconds 3600]

Makes 1 h of recorded footage per camera by stream copy of the shared clip
(``intersection_traffic.mp4``, 640×480 H.264; else an FFmpeg test pattern encoded once),
cut into ~60 s MPEG-TS segments like the recorder's, in a temporary folder. Then, in
the same run, with the segments in the page cache, and ``sync`` before each timed step
(so that none pays for the writeback of the one before):

- ``cat`` of every segment of every camera into one file (the baseline: the same bytes
  read and written once), timed before and after the export (mean of the two), both
  to the page cache only and with an ``fsync`` of the result (on the disk);
- the PDF renderer loaded first and what is loaded frozen for the garbage collector,
  as ``vigie export-worker`` does when it starts (~2 s once per process);
- ``build_package`` of the 4 items by stream copy (MP4s with subtitles, hashes,
  manifest, signature, PDF; no ISO, no zip: the zip is made from the directory when
  it is downloaded), timed as a whole; it ends with the package on the disk (fsync),
  so its baseline is the ``cat`` with an ``fsync``;
- the zip written from the package (what ``vigie export --zip`` adds, and what a
  download reads), timed apart;
- for reference, bare FFmpeg: the same 4 cameras stream-copied to MP4 by 4
  ``ffmpeg -f concat -c copy -movflags +faststart`` side by side, then ``fsync``
  (no subtitles, hashes, signature or report): what a C remux costs here;
- where the page cache may be dropped (root), the cat and the export again with the
  segments on the disk only, as they are when a requisition comes days later;
- a masked export of ``--masked-seconds`` of 720p footage (the shared
  ``pedestrians_vtest.avi`` re-encoded once to H.264, else a 720p test pattern),
  measured in CPU seconds of this process and its threads.

Prints one JSON line:

- export_vs_cat_ratio: time of ``cat`` + ``fsync`` ÷ export time (goal ≥ 0.5): both
  end with the bytes on the disk;
- export_vs_cat_cache_ratio: time of ``cat`` to the page cache only ÷ export time;
- footage_vs_cat_ratio: the first ratio's ``cat`` ÷ the footage phase alone (the MP4s,
  hashed and flushed, before the manifest and report);
- zip_s: writing the zip from the package directory;
- ffmpeg_vs_cat_ratio, export_vs_ffmpeg_ratio: the reference above, against cat and
  against the export;
- export_vs_cat_ratio_cold: the first ratio with cold segments (null if the page
  cache cannot be dropped);
- masked_export_realtime_per_core_720p: seconds of video ÷ CPU seconds of the masked
  export (goal ≥ 3), null with a note if the masking is not available;
- package: the path of the package made, left in place (with its .zip) for a look.

On a 2-core machine the figures move by ±30 % from run to run (other virtual machines
on the host): run it a few times.

No database is used: the export items are built directly.
"""

from __future__ import annotations

import argparse
import gc
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


def time_cat(paths: list[Path], out: Path, *, durable: bool) -> float:
    os.sync()
    started = time.perf_counter()
    with out.open("wb") as f:
        subprocess.run(["cat", *map(str, paths)], stdout=f, check=True)
        if durable:
            os.fsync(f.fileno())
    elapsed = time.perf_counter() - started
    out.unlink()
    return elapsed


def drop_caches() -> bool:
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    except OSError:
        return False
    return True


def time_ffmpeg(cameras: list[list[Path]], work: Path) -> float:
    """4 bare FFmpeg stream copies to MP4, side by side, on the disk at the end."""
    lists = []
    for n, paths in enumerate(cameras):
        listing = work / f"concat-{n}.txt"
        listing.write_text("".join(f"file '{p}'\n" for p in paths))
        lists.append(listing)
    outs = [work / f"ffmpeg-{n}.mp4" for n in range(len(cameras))]
    os.sync()
    started = time.perf_counter()
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0"]
    copy = ["-c", "copy", "-movflags", "+faststart"]
    running = [
        subprocess.Popen([*command, "-i", str(listing), *copy, str(out)])
        for listing, out in zip(lists, outs, strict=True)
    ]
    if any(r.wait() for r in running):
        raise RuntimeError("ffmpeg failed")
    for out in outs:
        with out.open("rb") as f:
            os.fsync(f.fileno())
    elapsed = time.perf_counter() - started
    for out in outs:
        out.unlink()
    return elapsed


def time_cats(paths: list[Path], out: Path) -> tuple[float, float]:
    """(to the page cache, to the disk)."""
    return time_cat(paths, out, durable=False), time_cat(paths, out, durable=True)


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
    from vigie.evidence.ziparchive import PackageZip

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
    gc.freeze()
    cat_before = time_cats(every, work / "cat.out")
    export_items = items([segment_files(p, seconds) for p in cameras], seconds)
    phases: dict[str, float] = {}
    os.sync()
    started, cpu_before = time.perf_counter(), cpu_seconds()

    def progress(fraction: float, _text: str) -> None:
        if fraction >= FOOTAGE_SHARE and "footage" not in phases:
            phases["footage"] = time.perf_counter() - started

    result = build_package(package_request(export_items), out, progress=progress)
    export_s = time.perf_counter() - started
    export_cpu_s = cpu_seconds() - cpu_before
    cat_after = time_cats(every, work / "cat.out")
    cache_s, cat_s = ((a + b) / 2 for a, b in zip(cat_before, cat_after, strict=True))
    os.sync()
    zip_started = time.perf_counter()
    made = PackageZip(result.directory)
    zip_path = made.write(result.directory.parent / made.filename)
    zip_s = time.perf_counter() - zip_started
    ffmpeg_s = time_ffmpeg(cameras, work)
    cold = cold_figures(every, export_items, work)
    data = sum(p.stat().st_size for p in every)
    return {
        "export_vs_cat_ratio": round(cat_s / export_s, 3),
        "export_vs_cat_cache_ratio": round(cache_s / export_s, 3),
        "footage_vs_cat_ratio": round(cat_s / phases.get("footage", export_s), 3),
        "package": str(result.directory),
        "zip": str(zip_path),
        "zip_s": round(zip_s, 3),
        "ffmpeg_vs_cat_ratio": round(cat_s / ffmpeg_s, 3),
        "export_vs_ffmpeg_ratio": round(ffmpeg_s / export_s, 3),
        "ffmpeg_copy_s": round(ffmpeg_s, 3),
        **cold,
        "cameras": cameras_n,
        "seconds_per_camera": seconds,
        "segment_bytes": data,
        "cat_s": round(cat_s, 3),
        "cat_cache_s": round(cache_s, 3),
        "cat_s_before_after": [round(cat_before[1], 3), round(cat_after[1], 3)],
        "cat_cache_s_before_after": [round(cat_before[0], 3), round(cat_after[0], 3)],
        "export_s": round(export_s, 3),
        "footage_phase_s": round(phases.get("footage", export_s), 3),
        "export_cpu_s": round(export_cpu_s, 3),
        "export_mb_per_s": round(data / export_s / 1e6, 1),
        "source": what,
    }


def cold_figures(every: list[Path], export_items: tuple[Any, ...], work: Path) -> dict[str, Any]:
    """cat + fsync and the export again, each from a dropped page cache."""
    from vigie.evidence.package import build_package

    if not drop_caches():
        return {"export_vs_cat_ratio_cold": None}
    cat_s = time_cat(every, work / "cat.out", durable=True)
    drop_caches()
    started = time.perf_counter()
    result = build_package(package_request(export_items), work / "cold")
    export_s = time.perf_counter() - started
    shutil.rmtree(result.directory)
    return {
        "export_vs_cat_ratio_cold": round(cat_s / export_s, 3),
        "cold_cat_s": round(cat_s, 3),
        "cold_export_s": round(export_s, 3),
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

"""Benchmark the simulated cameras: CPU per camera, against a bare FFmpeg baseline.

    VIGIE_DATA_DIR=/tmp/x .venv/bin/python bench/simulator.py [--cameras 20] [--seconds 20]
        [--footage DIR] [--codec h264|h265]

1. Starts N simulated cameras and pulls each with ``ffmpeg -rtsp_transport tcp -i URL
   -c copy -f null -``; measures the RTSP server process's CPU (utime + stime from
   /proc) over S seconds.
2. Baseline, in the same run: one ``ffmpeg -re -stream_loop -1 -i CLIP -c copy -f null -``
   per camera on the same cached clip (the cheapest way FFmpeg itself can serve a
   looping stream in real time), measured the same way.

Prints one JSON line; CPU figures are percent of one core per camera.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from vigie.recording.simulator import SimulatedCameras
from vigie.recording.simulator.footage import Clip

TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP = 3.0  # seconds for every client to connect before measuring


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (gone ones count as 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


def measure(pids: list[int], seconds: float) -> float:
    """Percent of one core used by ``pids`` over ``seconds`` of wall time."""
    before, start = cpu_seconds(pids), time.monotonic()
    time.sleep(seconds)
    return 100 * (cpu_seconds(pids) - before) / (time.monotonic() - start)


def spawn(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop_all(processes: list[subprocess.Popen[bytes]]) -> int:
    """Kill and reap; return how many had died on their own before (a failed client)."""
    died = sum(1 for process in processes if process.poll() is not None)
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
    return died


def simulator_run(cameras: SimulatedCameras, seconds: float) -> dict[str, float | int]:
    base = ["ffmpeg", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp"]
    clients = [spawn([*base, "-i", url, "-c", "copy", "-f", "null", "-"]) for url in cameras.urls]
    try:
        time.sleep(WARM_UP)
        assert cameras.pid is not None
        server = measure([cameras.pid], seconds)
    finally:
        failed = stop_all(clients)
    return {"server_pct": server, "failed_clients": failed}


def baseline_run(clips: list[Clip], count: int, seconds: float) -> float:
    processes = []
    for index in range(count):
        clip = clips[index % len(clips)]
        raw = "h264" if clip.codec == "h264" else "hevc"
        source = ["-re", "-stream_loop", "-1", "-f", raw, "-framerate", clip.fps, "-i", clip.path]
        command = ["ffmpeg", "-nostdin", "-loglevel", "error", *source]
        processes.append(spawn([*command, "-c", "copy", "-f", "null", "-"]))
    try:
        time.sleep(WARM_UP)
        return measure([process.pid for process in processes], seconds)
    finally:
        stop_all(processes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--footage", help="folder of real clips (default: the test pattern)")
    parser.add_argument("--codec", choices=("h264", "h265"), default="h264")
    args = parser.parse_args()
    with SimulatedCameras(args.cameras, footage=args.footage, codec=args.codec) as cameras:
        simulated = simulator_run(cameras, args.seconds)
        clips = cameras.clips
    baseline = baseline_run(clips, args.cameras, args.seconds)
    per_camera = float(simulated["server_pct"]) / args.cameras
    baseline_per_camera = baseline / args.cameras
    result = {
        "bench": "simulator",
        "cameras": args.cameras,
        "seconds": args.seconds,
        "codec": args.codec,
        "clips": [
            f"{Path(clip.source).name} {clip.width}x{clip.height}@{clip.fps}" for clip in clips
        ],
        "cpu_pct_per_camera": round(per_camera, 3),
        "baseline_cpu_pct_per_camera": round(baseline_per_camera, 3),
        "cpu_ratio": round(per_camera / baseline_per_camera, 3) if baseline_per_camera else None,
        "server_cpu_pct_total": round(float(simulated["server_pct"]), 2),
        "failed_clients": simulated["failed_clients"],
        "load_average_1m": os.getloadavg()[0],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

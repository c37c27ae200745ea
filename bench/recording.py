"""Recording benchmark (issue 3): Vigie's recorder against bare FFmpeg, in one run.

    .venv/bin/python bench/recording.py --cameras 40 --seconds 120

Starts N simulated cameras and records them for S seconds with ``vigie recorder`` (its
own process, as deployed) and, at the same time, with one bare
``ffmpeg -rtsp_transport tcp -i URL -c copy -f segment`` per camera: both CPU figures
are read over the same seconds, so other load on the machine weighs on both alike.
Then it kills the recorder with SIGKILL and restarts it (recovery scan). Prints one
JSON line:

- cpu_per_stream_ratio: Vigie's CPU per stream (recorder + its FFmpeg/ffprobe children)
  ÷ the baseline's (one FFmpeg per stream);
- anon_mb_per_stream: private anonymous memory (smaps_rollup ``Anonymous``) of the
  recorder and its children ÷ N (the baseline's figure is printed too);
- coverage: share of [first sample, kill − 2 s] covered by indexed, closed segments
  (the kill's own loss is the next figure);
- bytes_on_disk_ratio: segment bytes ÷ H.264 payload bytes they carry (what was received);
- lost_seconds_on_kill9: worst camera's kill time − end of its last indexed footage;
- seek_ttfb_ms_p95: measured by the playback benchmark; null here.
The database is a throw-away SQLite file unless VIGIE_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLK = os.sysconf("SC_CLK_TCK")
KILL_MARGIN_S = 2.0
DEFAULT_INGEST = "rtp"  # the recorder's default (vigie recorder --ingest)


def proc_children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


def cpu_seconds(pid: int, with_reaped: bool = False) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if with_reaped:  # ffprobe runs, finished and reaped by the recorder
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK


def anon_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Anonymous:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_cpu(root: int | None, pids: list[int]) -> float:
    total = sum(cpu_seconds(p) for p in pids)
    if root is not None:
        total += cpu_seconds(root, with_reaped=True)
        total += sum(cpu_seconds(p) for p in proc_children(root))
    return total


def tree_anon(root: int | None, pids: list[int]) -> float:
    every = list(pids) + ([root, *proc_children(root)] if root is not None else [])
    return sum(anon_mb(p) for p in every)


def setup(args: argparse.Namespace, work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("VIGIE_DATABASE_URL", f"sqlite:///{work}/bench.sqlite3")
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigie.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def seed(urls: list[str], pool_path: Path) -> list[int]:
    from vigie.core.testing import as_system, make_authorisation, make_camera, make_member
    from vigie.inventory.models import RecorderNode, StoragePool

    with as_system():
        node = RecorderNode.objects.create(name="bench")
        StoragePool.objects.create(name="bench", node=node, path=str(pool_path))
        member = make_member("bench-town")
        cameras = [make_camera(member, rtsp_main=url) for url in urls]
        make_authorisation(member, cameras)
        for camera in cameras:
            camera.enabled = True
            camera.save()
    return [c.pk for c in cameras]


def start_recorder(
    env: dict[str, str], work: Path, args: argparse.Namespace, tag: str
) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "vigie.cli", "recorder", "--node", "bench"]
    cmd += ["--segment-seconds", str(args.segment_seconds), "--ingest", args.ingest]
    log = (work / f"recorder-{tag}.log").open("wb")
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stderr=log, stdout=log)


def wait_recording(count: int, timeout: float) -> bool:
    from vigie.recording.models import CameraRecordingState

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = CameraRecordingState.objects.unrestricted().filter(state="recording")
        if states.count() >= count:
            return True
        time.sleep(0.5)
    return False


def wait_log(path: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        time.sleep(0.3)
    raise SystemExit(f"{text!r} not in {path} after {timeout} s")


def run_vigie(
    args: argparse.Namespace, env: dict[str, str], work: Path, urls: list[str]
) -> tuple[dict[str, Any], dict[str, float]]:
    """Vigie's recorder and the bare FFmpeg baseline record the same cameras at the
    same time, and their CPU is read over the same seconds: whatever else the machine
    does weighs on both alike. Then the recorder is killed with SIGKILL and restarted."""
    from vigie.recording.models import Segment

    rec = start_recorder(env, work, args, "first")
    baseline: list[subprocess.Popen[bytes]] = []
    try:
        if not wait_recording(args.cameras, 60):
            raise SystemExit(f"not all cameras recording; see {work}/recorder-first.log")
        baseline = start_baseline(args, urls, work)
        time.sleep(args.warmup + 3)
        pids = [p.pid for p in baseline]
        t0, cpu0, own0 = time.time(), tree_cpu(rec.pid, []), cpu_seconds(rec.pid, True)
        base0 = tree_cpu(None, pids)
        time.sleep(args.seconds)
        cpu = tree_cpu(rec.pid, []) - cpu0
        own = cpu_seconds(rec.pid, True) - own0
        base_cpu = tree_cpu(None, pids) - base0
        own_anon = anon_mb(rec.pid)
        wall = time.time() - t0
        anon, base_anon = tree_anon(rec.pid, []), tree_anon(None, pids)
        stop_baseline(baseline)
        killed_at = time.time()
        rec.send_signal(signal.SIGKILL)
        rec.wait()
    finally:
        stop_baseline(baseline)
        if rec.poll() is None:
            rec.kill()
    again = start_recorder(env, work, args, "restart")
    try:
        # The states still say "recording" (kill -9 wrote nothing): wait for the log.
        wait_log(work / "recorder-restart.log", "recovery scan", 60)
        time.sleep(3)
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=60)
    segs = list(Segment.objects.unrestricted().filter(closed=True).select_related("storage_pool"))
    vigie = {
        "cpu_core_per_stream": cpu / wall / args.cameras,
        "anon_mb_per_stream": anon / args.cameras,
        "python_cpu_percent": 100 * own / wall,
        "python_anon_mb": own_anon,
        # Coverage of normal operation stops where the kill's loss starts: that loss
        # is lost_seconds_on_kill9, measured on its own.
        "coverage": coverage(segs, t0, killed_at - KILL_MARGIN_S)["coverage"],
        "lost_seconds_on_kill9": coverage(segs, t0, killed_at)["lost_seconds_on_kill9"],
        "bytes_on_disk_ratio": payload_ratio(segs, t0, killed_at),
    }
    base = {
        "cpu_core_per_stream": base_cpu / wall / len(urls),
        "anon_mb_per_stream": base_anon / len(urls),
    }
    return vigie, base


def coverage(segs: list[Any], t0: float, t1: float) -> dict[str, float]:
    by_camera: dict[int, list[tuple[float, float]]] = {}
    for s in segs:
        by_camera.setdefault(s.camera_id, []).append((s.start.timestamp(), s.end.timestamp()))
    covered, lost = [], []
    for spans in by_camera.values():
        spans.sort()
        total, reach = 0.0, t0
        for start, end in spans:
            start, end = max(start, reach), min(end, t1)
            if end > start:
                total += end - start
                reach = end
        covered.append(total / (t1 - t0))
        lost.append(t1 - max(e for s, e in spans if s < t1))
    return {"coverage": min(covered), "lost_seconds_on_kill9": max(lost)}


def payload_ratio(segs: list[Any], t0: float, t1: float, sample: int = 6) -> float | None:
    from vigie.recording import paths

    chosen = [s for s in segs if t0 <= s.start.timestamp() and s.end.timestamp() <= t1][:sample]
    disk = payload = 0
    for seg in chosen:
        file = paths.segment_file(seg)
        cmd = ["ffprobe", "-v", "error", "-show_entries", "packet=size", "-of", "csv=p=0"]
        out = subprocess.run([*cmd, str(file)], capture_output=True, text=True, check=False)
        sizes = (line.strip(", ") for line in out.stdout.split())
        payload += sum(int(x) for x in sizes if x.isdigit())
        disk += file.stat().st_size
    return round(disk / payload, 4) if payload else None


def start_baseline(
    args: argparse.Namespace, urls: list[str], work: Path
) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i, url in enumerate(urls):
        out = work / "baseline" / str(i)
        out.mkdir(parents=True)
        cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url]
        cmd += ["-c", "copy", "-f", "segment", "-segment_time", str(args.segment_seconds)]
        procs.append(subprocess.Popen([*cmd, str(out / "%05d.ts")]))
    return procs


def stop_baseline(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--segment-seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--ingest", choices=["rtp", "pyav", "ffmpeg"], default=DEFAULT_INGEST)
    parser.add_argument("--footage", help="loop these files instead of the 720p test pattern")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    env = setup(args, work)
    from vigie.recording.simulator import SimulatedCameras

    with SimulatedCameras(args.cameras, footage=args.footage) as sim:
        seed(sim.urls, work / "pool")
        vigie, base = run_vigie(args, env, work, sim.urls)
    print(
        json.dumps(
            {
                "cameras": args.cameras,
                "ingest": args.ingest,
                "seconds": args.seconds,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "cpu_per_stream_ratio": round(
                    vigie["cpu_core_per_stream"] / base["cpu_core_per_stream"], 3
                ),
                "cpu_percent_per_stream": round(100 * vigie["cpu_core_per_stream"], 3),
                "baseline_cpu_percent_per_stream": round(100 * base["cpu_core_per_stream"], 3),
                "anon_mb_per_stream": round(vigie["anon_mb_per_stream"], 2),
                "baseline_anon_mb_per_stream": round(base["anon_mb_per_stream"], 2),
                "recorder_python_cpu_percent": round(vigie["python_cpu_percent"], 2),
                "recorder_python_anon_mb": round(vigie["python_anon_mb"], 1),
                "coverage": round(vigie["coverage"], 5),
                "bytes_on_disk_ratio": vigie["bytes_on_disk_ratio"],
                "lost_seconds_on_kill9": round(vigie["lost_seconds_on_kill9"], 2),
                "seek_ttfb_ms_p95": None,
                "work_dir": str(work),
            }
        )
    )


if __name__ == "__main__":
    main()

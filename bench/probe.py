"""Supervision benchmark: probe 2 000 cameras, and the service-level deadlines of
100 000 tickets.

The cameras are served by the minimal RTSP responder of the supervision tests
(`vigie/supervision/tests/rtsp_responder.py`), run in **another process** on
127.0.0.1 over several ports, so that this process's CPU time is the prober's alone.
Each probe is what `vigie supervise` does: a TCP connection, then RTSP DESCRIBE, the
SDP parsed (codec, and size and frame rate from the SPS). A second responder asks for
Digest credentials (401, then the answer: two round trips). The baseline, in the same
run, is bare TCP connections to the same endpoints (connect, close) at the same
concurrency. Median of a few passes. Deadlines: `vigie.servicedesk.sla.deadlines` over
the synthetic tickets of `bench/sla.py`. Prints one JSON line.

    .venv/bin/python bench/probe.py [--cameras 2000] [--ports 8] [--concurrency 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vigie.servicedesk import sla  # noqa: E402
from vigie.supervision.probe import Target, Timeouts, probe_all  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from sla import make_tickets  # noqa: E402


def raise_fd_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def start_responder(
    ports: int, auth: tuple[str, str] | None
) -> tuple[subprocess.Popen[str], list[int]]:
    command = [
        sys.executable,
        "-m",
        "vigie.supervision.tests.rtsp_responder",
        "--ports",
        str(ports),
    ]
    if auth:
        command += ["--user", auth[0], "--password", auth[1]]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, json.loads(line)["ports"]


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(run: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), cpu_s()
    result = run()
    return time.perf_counter() - wall, cpu_s() - cpu, result


async def bare_connects(targets: list[tuple[int, str]], concurrency: int) -> int:
    gate = asyncio.Semaphore(concurrency)

    async def one(port: int) -> bool:
        async with gate:
            try:
                _reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port), 3
                )
            except (OSError, TimeoutError):
                return False
            writer.transport.abort()
            return True

    return sum(await asyncio.gather(*(one(port) for port, _ in targets)))


def probe_pass(targets: list[Target], concurrency: int) -> tuple[float, float, int]:
    wall, cpu, results = timed(
        lambda: asyncio.run(probe_all(targets, concurrency, Timeouts(5.0, 5.0)))
    )
    assert all(r.width == 1280 for r in results if r.ok)
    return wall, cpu, sum(r.ok for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cameras", type=int, default=2000)
    parser.add_argument("--ports", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()
    fd_limit = raise_fd_limit(4 * args.concurrency + 256)

    plain, plain_ports = start_responder(args.ports, None)
    digest, digest_ports = start_responder(args.ports, ("bench", "s3cret"))
    try:
        endpoints = [(plain_ports[i % args.ports], f"/cam{i + 1}") for i in range(args.cameras)]
        targets = [
            Target(i, f"rtsp://127.0.0.1:{p}{path}") for i, (p, path) in enumerate(endpoints)
        ]
        with_auth = [
            Target(i, f"rtsp://bench:s3cret@127.0.0.1:{digest_ports[i % args.ports]}/cam{i + 1}")
            for i in range(args.cameras)
        ]
        probe_pass(targets[:100], args.concurrency)  # warm-up (imports, first sockets)
        plain_runs = [probe_pass(targets, args.concurrency) for _ in range(args.passes)]
        digest_runs = [probe_pass(with_auth, args.concurrency) for _ in range(args.passes)]
        bare = [
            timed(lambda: asyncio.run(bare_connects(endpoints, args.concurrency)))
            for _ in range(args.passes)
        ]
    finally:
        for proc in (plain, digest):
            proc.terminate()
            proc.wait(10)

    tickets = make_tickets(args.tickets, 7)
    for alsace in (False, True):
        sla.workdays(alsace)
    deadline_s = statistics.median(
        timed(lambda: [sla.deadlines(t) for t in tickets])[0] for _ in range(3)
    )

    print(
        json.dumps(summary(args, plain_runs, digest_runs, bare, deadline_s, len(tickets), fd_limit))
    )


Runs = list[tuple[float, float, Any]]


def median(runs: Runs, index: int) -> float:
    return round(statistics.median(r[index] for r in runs), 3)


def summary(
    args: argparse.Namespace,
    plain_runs: Runs,
    digest_runs: Runs,
    bare: Runs,
    deadline_s: float,
    tickets: int,
    fd_limit: int,
) -> dict[str, Any]:
    return {
        "bench": "probe",
        "cameras": args.cameras,
        "ports": args.ports,
        "concurrency": args.concurrency,
        "passes": args.passes,
        "probe_wall_s_2000": median(plain_runs, 0),
        "probe_cpu_s_2000": median(plain_runs, 1),
        "probe_ok": min(r[2] for r in plain_runs),
        "probe_digest_wall_s_2000": median(digest_runs, 0),
        "probe_digest_cpu_s_2000": median(digest_runs, 1),
        "probe_digest_ok": min(r[2] for r in digest_runs),
        "baseline_tcp_connect_wall_s_2000": median(bare, 0),
        "baseline_tcp_connect_cpu_s_2000": median(bare, 1),
        "baseline_tcp_ok": min(r[2] for r in bare),
        "deadline_us_per_ticket": round(deadline_s / tickets * 1e6, 2),
        "deadline_tickets": tickets,
        "fd_limit": fd_limit,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


if __name__ == "__main__":
    main()

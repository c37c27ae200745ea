"""Seek benchmark: time to first byte of a random seek into a 30-day archive.

Builds a synthetic index of one camera (30 days of 60 s segments, every row pointing
at one of a few real MPEG-TS files through its own link), then for random instants
measures what a player does to seek there: request the playback playlist for
[instant, instant + 1 h] and the first byte range it lists, until the first byte of
footage arrives. The baseline, in the same run, reads the same bytes with a plain
file read. Prints one JSON line.

    VIGIE_DATA_DIR=$(mktemp -d) .venv/bin/python bench/seek.py [--days 30] [--seeks 200]

Run it on a fresh data directory: it migrates an embedded database there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from vigie.core.shared_data import shared_data

REPO = Path(__file__).resolve().parents[1]
CLIP = shared_data("intersection_traffic.mp4")
SEGMENT_SECONDS = 60
REAL_FILES = 4


def setup_django() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_sources(folder: Path) -> list[Path]:
    """A few ~60 s MPEG-TS files: the shared clip looped once, by stream copy."""
    first = folder / "src0.ts"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "1", "-i", str(CLIP),
         "-map", "0:v", "-c", "copy", "-f", "mpegts", str(first)],
        check=True, timeout=120,
    )  # fmt: skip
    sources = [first]
    for n in range(1, REAL_FILES):
        copy = folder / f"src{n}.ts"
        copy.write_bytes(first.read_bytes())
        sources.append(copy)
    return sources


def build_index(pool_dir: Path, days: int, sources: list[Path]) -> dict[str, Any]:
    from vigie.core.testing import (
        as_system,
        make_authorisation,
        make_camera,
        make_member,
        make_user,
    )
    from vigie.inventory.models import RecorderNode, StoragePool
    from vigie.recording.models import Segment
    from vigie.recording.paths import segment_relpath

    member = make_member("bench-town", name="Bench")
    camera = make_camera(member, name="BENCH-001")
    make_authorisation(member, [camera])
    user = make_user("bench-viewer", role="town_viewer", members=[member])
    with as_system():
        node = RecorderNode.objects.create(member=member, name="rec-bench")
        pool = StoragePool.objects.create(
            member=member, name="pool-bench", node=node, path=str(pool_dir)
        )
        end = datetime.now(UTC).replace(second=0, microsecond=0)
        start = end - timedelta(days=days)
        rows = []
        at, n = start, 0
        while at < end:
            relpath = segment_relpath(camera.pk, at)
            link = pool_dir / relpath
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(sources[n % len(sources)])
            stop = at + timedelta(seconds=SEGMENT_SECONDS)
            rows.append(
                Segment(camera=camera, storage_pool=pool, path=relpath, start=at, end=stop,
                        bytes=sources[0].stat().st_size, closed=True)
            )  # fmt: skip
            at, n = stop, n + 1
        Segment.objects.bulk_create(rows, batch_size=2000)
    return {"camera": camera, "user": user, "start": start, "end": end, "segments": len(rows)}


def seek_once(client: Any, world: dict[str, Any], token: str, at: datetime) -> tuple[float, Any]:
    from django.urls import reverse

    from vigie.recording import playback

    camera = world["camera"]
    query = urlencode(
        {"start": playback.iso(at), "end": playback.iso(at + timedelta(hours=1)), "t": token}
    )
    began = time.perf_counter()
    response = client.get(reverse("camera_playback", kwargs={"pk": camera.pk}) + "?" + query)
    assert response.status_code == 200, response.content[:200]
    found = re.search(rb"#EXT-X-BYTERANGE:(\d+)@(\d+)\n(\S+)", response.content)
    assert found is not None, response.content[:400]
    length, offset, uri = int(found[1]), int(found[2]), found[3].decode()
    last = offset + length - 1
    media = client.get(uri, headers={"Range": f"bytes={offset}-{last}"})
    assert media.status_code == 206
    first = next(iter(media.streaming_content))
    elapsed = time.perf_counter() - began
    media.close()
    assert first
    segment_id = int(re.search(r"/segments/(\d+)\.ts", uri)[1])  # type: ignore[index]
    return elapsed, (segment_id, offset, length)


def baseline_once(pool_dir: Path, relpath: str, offset: int) -> float:
    began = time.perf_counter()
    with (pool_dir / relpath).open("rb") as stream:
        stream.seek(offset)
        assert stream.read(64 * 1024)
    return time.perf_counter() - began


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seeks", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    setup_django()
    from django.test import Client

    from vigie.recording import playback
    from vigie.recording.models import Segment

    work = Path(tempfile.mkdtemp(prefix="vigie-seek-"))
    sources = make_sources(work)
    pool_dir = work / "pool"
    built = time.perf_counter()
    world = build_index(pool_dir, args.days, sources)
    build_s = time.perf_counter() - built
    client = Client()
    client.force_login(world["user"])
    token = playback.issue_token(world["user"].pk, world["camera"].pk, "Banc d'essai de recherche")
    rng = random.Random(args.seed)  # noqa: S311 (random instants, not secrets)
    span = (world["end"] - world["start"] - timedelta(hours=1)).total_seconds()
    vigie, plain = [], []
    paths = dict(Segment.objects.unrestricted().values_list("pk", "path"))
    for _ in range(args.seeks):
        at = world["start"] + timedelta(seconds=rng.uniform(0, span))
        elapsed, (segment_id, offset, _length) = seek_once(client, world, token, at)
        vigie.append(elapsed)
        plain.append(baseline_once(pool_dir, paths[segment_id], offset))
    result = {
        "bench": "seek",
        "segments": world["segments"],
        "days": args.days,
        "seeks": args.seeks,
        "index_build_s": round(build_s, 1),
        "seek_ttfb_ms_p50": round(statistics.median(vigie) * 1000, 2),
        "seek_ttfb_ms_p95": round(p95(vigie) * 1000, 2),
        "baseline_read_ms_p95": round(p95(plain) * 1000, 3),
        "seek_ttfb_ratio": round(p95(vigie) / p95(plain), 1),
        "database": os.environ.get("VIGIE_DATABASE_URL", "sqlite").split("@")[-1],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

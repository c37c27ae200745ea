"""The PyAV ingest's live window: byte ranges of the segment being written, served
only to those who may watch the camera live."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from vigie.core.testing import as_system
from vigie.inventory.tests.ui_world import World
from vigie.recording.livewindow import LivePart, LiveWindow, render
from vigie.recording.recorder import Recorder, run_in_thread
from vigie.recording.supervision import Policy, next_boundary
from vigie.recording.tests.conftest import StartCameras
from vigie.recording.tests.test_recorder import wait_for

POLICY = Policy(segment_time_s=3, watchdog_s=4, inventory_every_s=1, tick_s=0.25)
RANGE = re.compile(r"#EXT-X-BYTERANGE:(\d+)@(\d+)\n(seg-\S+)")


# --------------------------------------------------------------------------- pure parts


def test_render_lists_byte_ranges_with_their_wall_clock() -> None:
    parts = [
        LivePart("20261123T100000Z.ts", 0, 1000, 2.0, 1_795_000_000.0),
        LivePart("20261123T100000Z.ts", 1000, 1500, 2.4, 1_795_000_002.0),
    ]
    text = render(parts, 41)
    assert text.startswith("#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:3\n")
    assert "#EXT-X-MEDIA-SEQUENCE:41\n" in text
    assert RANGE.findall(text) == [
        ("1000", "0", "seg-20261123T100000Z.ts"),
        ("1500", "1000", "seg-20261123T100000Z.ts"),
    ]
    assert "#EXT-X-PROGRAM-DATE-TIME:2026-11-18T11:06:40.000Z" in text
    assert "#EXT-X-ENDLIST" not in text  # live: the player keeps polling


def test_window_completes_parts_on_the_next_keyframe_and_slides(tmp_path: Path) -> None:
    window = LiveWindow(tmp_path, now=1000.0, size=3)
    assert window.next_sequence == 1_000_000
    window.keyframe("a.ts", 0, 0.0, 1000.0)
    assert not (tmp_path / "index.m3u8").exists()  # nothing complete yet
    for i in range(1, 5):
        window.keyframe("a.ts", i * 100, i * 2.0, 1000.0 + i * 2)
    window.close_file("a.ts", 450, 9.0)
    window.keyframe("b.ts", 0, 9.0, 1009.0)
    assert [(p.offset, p.length, p.duration) for p in window.parts] == [
        (200, 100, 2.0),
        (300, 100, 2.0),
        (400, 50, 1.0),
    ]
    text = (tmp_path / "index.m3u8").read_text()
    # 5 parts made, 3 kept: the first listed is the third made.
    assert "#EXT-X-MEDIA-SEQUENCE:1000002\n" in text
    assert not list(tmp_path.glob(".*tmp"))


def test_a_restarted_window_never_goes_back(tmp_path: Path) -> None:
    first = LiveWindow(tmp_path, now=1000.0)
    for i in range(50):
        first.keyframe("a.ts", i * 10, i * 0.5, 1000 + i * 0.5)
    later = LiveWindow(tmp_path, now=1025.0)
    assert later.next_sequence > first.next_sequence


@pytest.mark.parametrize(
    ("now", "period", "offset", "expected"),
    [
        (100.0, 60, 0, 120.0),
        (120.0, 60, 0, 180.0),  # on a boundary: the next one
        (100.0, 60, 30.5, 150.5),
        (10.0, 60, 30.5, 30.5),
        (1_795_000_001.2, 3, 1.854, 1_795_000_001.854),
    ],
)
def test_next_boundary(now: float, period: float, offset: float, expected: float) -> None:
    assert next_boundary(now, period, offset) == pytest.approx(expected)


# --------------------------------------------------------------------------- recorded live


def logged(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def recording_live(
    world: World, rtsp_cameras: StartCameras, tmp_path: Path, transactional_db: Any
) -> Any:
    sim = rtsp_cameras(1)
    with as_system():
        world.pool_a.path = str(tmp_path / "pool")
        world.pool_a.save()
        world.cam_a.rtsp_main = sim.url(1)
        world.cam_a.recorder_node = world.node_a
        world.cam_a.storage_pool = world.pool_a
        world.cam_a.enabled = True
        world.cam_a.save()
    recorder = Recorder(world.node_a, POLICY)
    thread, stop, _crash = run_in_thread(recorder)
    try:
        yield world
    finally:
        stop.set()
        thread.join(30)


def test_live_parts_are_playable_byte_ranges_of_the_segments(
    recording_live: World, tmp_path: Path
) -> None:
    world = recording_live
    url = f"/cameras/{world.cam_a.pk}/live/"
    viewer = logged(world.viewer_a)

    def playlist() -> str:
        response = viewer.get(url + "index.m3u8")
        return response.content.decode() if response.status_code == 200 else ""

    wait_for("three live parts", lambda: len(RANGE.findall(playlist())) >= 3, 40)
    text = playlist()
    length, offset, name = RANGE.findall(text)[-1]
    response = viewer.get(url + name, HTTP_RANGE=f"bytes={offset}-{int(offset) + int(length) - 1}")
    assert response.status_code == 206
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert len(data) == int(length) and data[0] == 0x47
    part = tmp_path / "part.ts"
    part.write_bytes(data)
    # A part alone is decodable from its first frame: it starts at PAT/PMT + a keyframe.
    count = ["-count_frames", "-show_entries", "stream=codec_name,nb_read_frames"]
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", *count, "-of", "csv=p=0", str(part)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    codec, frames = probe.stdout.split()[0].split(",")
    assert codec == "h264" and int(frames) >= 10, (probe.stdout, probe.stderr)

    # Another town's viewer: neither the playlist nor a part, even by its exact name.
    other = logged(world.viewer_b)
    assert other.get(url + "index.m3u8").status_code == 404
    assert other.get(url + name).status_code == 404
    # Names that are not a segment of this camera.
    for guess in ("seg-..%2F..%2Fetc.ts", "seg-20261123T000000Z.ts", "seg-x.ts"):
        assert viewer.get(url + guess).status_code == 404

    # A segment of this camera that the live window no longer lists is archive: it is
    # for playback (its own right, a reason, the journal), not for the live view.
    def archived() -> list[Path]:
        listed = {n for _l, _o, n in RANGE.findall(playlist())}
        files = sorted((tmp_path / "pool" / "segments").rglob("*.ts"))
        return [p for p in files if f"seg-{p.name}" not in listed]

    old = wait_for("a segment out of the live window", archived, 40)
    assert viewer.get(url + f"seg-{old[0].name}").status_code == 404

"""A masked camera's live view: served by the masked encoder (a real ``mask_live``
subprocess started by the view), shared, stopped when nobody watches; the recorder's
raw parts are never served for it."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import av
import pytest
from django.test import Client
from django.urls import reverse

from vigie.core.testing import as_system
from vigie.inventory.tests.ui_world import World
from vigie.recording import masking, masks_live
from vigie.recording.models import PrivacyMask
from vigie.recording.recorder import Recorder, run_in_thread
from vigie.recording.tests.conftest import StartCameras
from vigie.recording.tests.test_live_window import POLICY
from vigie.recording.tests.test_recorder import wait_for

HALF = [[[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]]
RAW_PART = re.compile(r"^(seg-\S+\.ts)$", re.M)
MASKED_PART = re.compile(r"^(m\d+\.ts)$", re.M)


@pytest.fixture
def masked_live(
    world: World,
    rtsp_cameras: StartCameras,
    tmp_path: Path,
    transactional_db: Any,
    settings: Any,
) -> Any:
    settings.DATA_DIR = tmp_path / "data"
    sim = rtsp_cameras(1)
    with as_system():
        world.pool_a.path = str(tmp_path / "pool")
        world.pool_a.save()
        world.cam_a.rtsp_main = sim.url(1)
        world.cam_a.recorder_node = world.node_a
        world.cam_a.storage_pool = world.pool_a
        world.cam_a.enabled = True
        world.cam_a.save()
        PrivacyMask.objects.create(camera=world.cam_a, label="Façade", polygons=HALF)
    recorder = Recorder(world.node_a, POLICY)
    thread, stop, _crash = run_in_thread(recorder)
    folder = masks_live.folder_for(world.cam_a.pk)
    try:
        yield world
    finally:
        (folder / "viewed").unlink(missing_ok=True)  # the encoder stops by itself
        wait_for("the encoder to stop", lambda: not masks_live.running(folder), 20)
        stop.set()
        thread.join(30)


def logged(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def raw_playlist(world: World) -> str:
    path = Path(world.pool_a.path) / "live" / str(world.cam_a.pk) / "index.m3u8"
    wait_for(
        "the raw live window",
        lambda: path.is_file() and RAW_PART.search(path.read_text()) is not None,
        30,
    )
    return path.read_text()


def test_masked_live_is_encoded_masked_and_raw_parts_refused(
    masked_live: World, tmp_path: Path
) -> None:
    world = masked_live
    raw = raw_playlist(world)
    client = logged(world.viewer_a)
    playlist_url = reverse("camera_live_playlist", kwargs={"pk": world.cam_a.pk})
    response = client.get(playlist_url)
    assert response.status_code == 200, response.content
    text = response.content.decode()
    assert "seg-" not in text and "BYTERANGE" not in text
    parts = MASKED_PART.findall(text)
    assert parts
    # The recorder's own parts of this camera: never served while it is masked.
    for name in RAW_PART.findall(raw)[-2:]:
        part_url = reverse("camera_live_part", kwargs={"pk": world.cam_a.pk, "name": name})
        assert client.get(part_url).status_code == 404
    part_url = reverse("camera_live_part", kwargs={"pk": world.cam_a.pk, "name": parts[-1]})
    response = client.get(part_url)
    assert response.status_code == 200
    served = tmp_path / "part.ts"
    served.write_bytes(body(response))
    with av.open(str(served)) as container:
        frame = next(iter(container.decode(video=0)))
    y = frame.to_ndarray(format="gray").astype(int)
    w = y.shape[1]
    assert abs(y[:, : w // 2 - 4].mean() - masking.MASK_LUMA) < 3
    assert y[:, : w // 2 - 4].std() < 3
    # A second viewer shares the running encoder (one lock holder, same window).
    folder = masks_live.folder_for(world.cam_a.pk)
    assert masks_live.running(folder)
    second = logged(world.admin_a)
    assert second.get(playlist_url).status_code in (404, 200)


def test_encoder_stops_when_nobody_watches(masked_live: World) -> None:
    world = masked_live
    raw_playlist(world)
    client = logged(world.viewer_a)
    playlist_url = reverse("camera_live_playlist", kwargs={"pk": world.cam_a.pk})
    assert client.get(playlist_url).status_code == 200
    folder = masks_live.folder_for(world.cam_a.pk)
    assert masks_live.running(folder)
    old = time.time() - masks_live.IDLE_SECONDS - 5
    os.utime(folder / "viewed", (old, old))
    wait_for("the encoder to stop", lambda: not masks_live.running(folder), 20)
    assert not (folder / "index.m3u8").exists()
    assert not list(folder.glob("m*.ts"))

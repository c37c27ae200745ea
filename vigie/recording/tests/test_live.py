"""Live view: the recorder's HLS window served only to those who may watch it live."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from vigie.audit.models import JournalEntry
from vigie.core.testing import as_system, make_user
from vigie.inventory.models import Authorisation
from vigie.recording import playback as pb
from vigie.recording.paths import live_dir
from vigie.recording.tests.test_playback_fixtures import (
    Footage,
    clip,
    cut_segments,
    footage,
    live,
    live_source,
)

__all__ = ["clip", "cut_segments", "footage", "live", "live_source"]  # fixtures

pytestmark = pytest.mark.django_db


def body(response: Any) -> bytes:
    """The bytes of a streamed answer."""
    return b"".join(response.streaming_content)


def logged(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def playlist(footage: Footage) -> str:
    return reverse("camera_live_playlist", kwargs={"pk": footage.camera.pk})


def first_part(live: Path) -> str:
    return re.findall(r"^(part\d+\.ts)$", (live / "index.m3u8").read_text(), re.M)[0]


def part_url(footage: Footage, name: str) -> str:
    return f"/cameras/{footage.camera.pk}/live/{name}"


def test_live_playlist_and_parts(footage: Footage, live: Path) -> None:
    client = logged(footage.world.viewer_a)
    response = client.get(playlist(footage))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    assert response.content == (live / "index.m3u8").read_bytes()
    assert "no-store" in response["Cache-Control"]
    name = first_part(live)
    part = client.get(part_url(footage, name))
    assert part.status_code == 200
    assert body(part) == (live / name).read_bytes()
    ranged = client.get(part_url(footage, name), HTTP_RANGE="bytes=188-375")
    assert ranged.status_code == 206
    assert body(ranged) == (live / name).read_bytes()[188:376]


def test_live_start_is_journaled_once_per_viewing_session(
    footage: Footage, live: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = logged(footage.world.viewer_a)
    clock = [1_000_000.0]
    monkeypatch.setattr("vigie.recording.views.time.time", lambda: clock[0])
    for _ in range(5):  # the player polls the playlist every few seconds
        clock[0] += 4
        assert client.get(playlist(footage)).status_code == 200
        client.get(part_url(footage, first_part(live)))
    starts = JournalEntry.objects.filter(action="recording.live_start")
    assert starts.count() == 1
    entry = starts.get()
    assert entry.member_id == footage.world.a.pk
    assert entry.actor_user_id == footage.world.viewer_a.pk
    assert entry.object_ids == [str(footage.camera.pk)]
    clock[0] += pb.LIVE_SESSION_WINDOW.total_seconds() + 1  # came back later
    client.get(playlist(footage))
    assert starts.count() == 2
    logged(footage.world.viewer_a).get(playlist(footage))  # another session
    assert starts.count() == 3


@pytest.mark.parametrize("what", ["playlist", "part"])
def test_live_isolation_matrix(footage: Footage, live: Path, what: str) -> None:
    world = footage.world
    url = playlist(footage) if what == "playlist" else part_url(footage, first_part(live))
    assert Client().get(url).status_code == 403
    assert logged(world.viewer_a).get(url).status_code == 200
    assert logged(world.viewer_b).get(url).status_code == 404
    technician = make_user("tech-a", role="technician", members=[world.a])
    assert logged(technician).get(url).status_code == 404
    auditor = make_user("dpo", role="auditor", all_members=True)
    assert logged(auditor).get(url).status_code == 404
    operator = make_user("op", role="csu_operator", members=[world.a])
    assert logged(operator).get(url).status_code == 200
    assert not JournalEntry.objects.filter(
        action="recording.live_start", actor_user_id=world.viewer_b.pk
    ).exists()


@pytest.mark.parametrize(
    "name",
    [
        "..%2Findex.m3u8",
        "..%2F..%2F..%2Fsegments%2F1%2Fx.ts",
        "%2E%2E",
        "part.ts.idx.json",
        "nothere.ts",
        "PART00000.TS",
        "part00000.ts%00.jpg",
        ".part00000.ts",
    ],
)
def test_guessed_live_names_are_not_found(footage: Footage, live: Path, name: str) -> None:
    (live.parent / "secret.ts").write_bytes(b"G" * 188)  # outside the camera's folder
    response = logged(footage.world.viewer_a).get(part_url(footage, name))
    assert response.status_code == 404


def test_live_path_refuses_links_out_of_the_folder(footage: Footage, live: Path) -> None:
    outside = live.parent.parent / "elsewhere.ts"
    outside.write_bytes(b"G" * 188)
    (live / "link00001.ts").symlink_to(outside)
    assert pb.live_path(footage.camera, "link00001.ts") is None
    assert pb.live_path(footage.camera, first_part(live)) is not None


def test_another_town_camera_id_guessed(footage: Footage, live: Path) -> None:
    world = footage.world
    url = reverse("camera_live_playlist", kwargs={"pk": world.cam_b.pk})
    assert logged(world.viewer_a).get(url).status_code == 404
    assert logged(world.viewer_a).get("/cameras/999999/live/index.m3u8").status_code == 404


def test_no_live_without_a_valid_authorisation(footage: Footage, live: Path) -> None:
    with as_system():
        auth = Authorisation.objects.get(pk=footage.world.auth_a.pk)
        auth.revoked = True
        auth.save()
    response = logged(footage.world.viewer_a).get(playlist(footage))
    assert response.status_code == 403
    assert not JournalEntry.objects.filter(action="recording.live_start").exists()


def test_no_live_directory_is_not_found(footage: Footage) -> None:
    assert logged(footage.world.viewer_a).get(playlist(footage)).status_code == 404


def test_live_window_in_the_recorder_nodes_pool(footage: Footage, live_source: Path) -> None:
    """The recorder falls back to its node's pool when the camera names none."""
    camera = footage.camera
    with as_system():
        camera.storage_pool = None
        camera.recorder_node = footage.world.node_a
        camera.save()
    folder = live_dir(footage.pool, camera.pk)
    shutil.copytree(live_source, folder)
    assert logged(footage.world.viewer_a).get(playlist(footage)).status_code == 200

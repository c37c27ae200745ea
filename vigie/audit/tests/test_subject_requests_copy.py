"""The viewing copy shown to a requester: the window asked, camera masks and the request's
extra polygons burned in; only for people who may play the camera back; journaled."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from vigie.audit import subject_requests as sr
from vigie.audit.models import JournalEntry
from vigie.audit.tests.test_subject_requests import make_request
from vigie.core import actors
from vigie.core.testing import as_system, make_user
from vigie.inventory.models import RecorderNode, StoragePool
from vigie.recording.models import PrivacyMask, Segment

SEGMENT_SECONDS = 2
# The camera's own mask (top-left) and the request's extra polygon (bottom-right).
CAMERA_MASK = [[[0.0, 0.0], [0.25, 0.0], [0.25, 0.25], [0.0, 0.25]]]
EXTRA = [[[0.6, 0.6], [1.0, 0.6], [1.0, 1.0], [0.6, 1.0]]]


def ffmpeg(*args: str) -> None:
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", *args]
    subprocess.run(command, check=True, timeout=60, capture_output=True)


@pytest.fixture
def footage(world: Any, tmp_path: Path) -> dict[str, Any]:
    """Two 2 s segments of a test pattern for camera A, indexed like the recorder's."""
    camera = world.cam_a
    with as_system():
        node = RecorderNode.objects.create(name="rec-copy")
        pool = StoragePool.objects.create(name="pool-copy", node=node, path=str(tmp_path))
        PrivacyMask.objects.create(camera=camera, label="Fenêtres", polygons=CAMERA_MASK)
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    for number in range(2):
        begin = start + timedelta(seconds=SEGMENT_SECONDS * number)
        relative = f"segments/{camera.pk}/{number}.ts"
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        ffmpeg(
            "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={SEGMENT_SECONDS}",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
            "-output_ts_offset", str(SEGMENT_SECONDS * number), "-f", "mpegts",
            str(tmp_path / relative),
        )  # fmt: skip
        with as_system():
            Segment.objects.create(
                camera=camera,
                storage_pool=pool,
                path=relative,
                start=begin,
                end=begin + timedelta(seconds=SEGMENT_SECONDS),
                closed=True,
            )
    request = make_request(
        world.a,
        cameras=[camera],
        window_start=start + timedelta(seconds=1),
        window_end=start + timedelta(seconds=3),
        extra_polygons=EXTRA,
    )
    with as_system():
        sr.transition(request, "searching")
        sr.transition(request, "found")
    return {"request": request, "camera": camera, "start": start}


def _frames(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray") for f in container.decode(video=0)]


def test_copy_burns_in_both_masks(
    world: Any, footage: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    viewer = make_user(role="town_viewer", members=[world.a], habilitated=True)
    with actors.acting_as(actors.person(viewer)):
        path = sr.prepare_viewing_copy(footage["request"], footage["camera"].pk, "Accès RGPD")
    assert path.is_file() and path.suffix == ".mp4"
    assert path.stat().st_mode & 0o077 == 0
    frames = _frames(path)
    # The window asked: about 2 s of the 4 s recorded, at 25 images per second.
    assert 40 <= len(frames) <= 60
    for frame in frames[:: len(frames) // 5]:
        height, width = frame.shape
        camera_area = frame[: height // 4 - 4, : width // 4 - 4]
        extra_area = frame[int(height * 0.6) + 4 :, int(width * 0.6) + 4 :]
        middle = frame[height // 3 : height // 2, width // 3 : width // 2]
        assert abs(float(camera_area.mean()) - 128) < 3 and camera_area.std() < 3
        assert abs(float(extra_area.mean()) - 128) < 3 and extra_area.std() < 3
        assert middle.std() > 10  # the test pattern is still there
    entry = JournalEntry.objects.filter(action="audit.subjectrequest.viewing_copy").last()
    assert entry is not None and entry.actor_name == viewer.username
    assert entry.reason == "Accès RGPD"
    assert entry.details["extra_polygons"] == 1 and entry.details["camera_polygons"] == 1
    assert len(entry.details["sha256"]) == 64
    assert sr.viewing_copies(footage["request"]) == [(footage["camera"], path)]


def test_copy_needs_playback_and_a_reason(
    world: Any, footage: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    request, camera = footage["request"], footage["camera"]
    dpo = make_user(role="auditor", all_members=True)
    with actors.acting_as(actors.person(dpo)), pytest.raises(PermissionDenied):
        sr.prepare_viewing_copy(request, camera.pk, "Contrôle")
    not_habilitated = make_user(role="town_viewer", members=[world.a], habilitated=False)
    with actors.acting_as(actors.person(not_habilitated)), pytest.raises(PermissionDenied):
        sr.prepare_viewing_copy(request, camera.pk, "Accès")
    with as_system(), pytest.raises(ValidationError):
        sr.prepare_viewing_copy(request, camera.pk, " ")
    assert not JournalEntry.objects.filter(action="audit.subjectrequest.viewing_copy").exists()


def test_copy_page_prepare_and_download(
    client: Any, world: Any, footage: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    viewer = make_user(role="town_viewer", members=[world.a], habilitated=True)
    request, camera = footage["request"], footage["camera"]
    url = reverse("subjectrequest_viewing_copy", args=[request.pk])
    client.force_login(viewer)
    assert client.get(url).status_code == 200
    assert client.post(url, {"camera": camera.pk, "reason": ""}).status_code == 400
    response = client.post(url, {"camera": camera.pk, "reason": "Accès RGPD"})
    assert response.status_code == 302
    download = client.post(url, {"camera": camera.pk, "reason": "Remise", "download": "1"})
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[4:8] == b"ftyp"
    assert JournalEntry.objects.filter(action="audit.subjectrequest.viewing_copy.download").exists()
    client.force_login(world.viewer_b)
    assert client.get(url).status_code == 404


def test_copy_from_the_command_line(
    world: Any, footage: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    from io import StringIO

    from django.core.management import call_command

    settings.DATA_DIR = tmp_path / "data"
    out = StringIO()
    call_command(
        "subject_request",
        "copy",
        str(footage["request"].pk),
        "--camera",
        footage["camera"].name,
        "--reason",
        "Accès demandé",
        stdout=out,
    )
    path = Path(out.getvalue().strip())
    assert path.is_file() and path.parent.parent == settings.DATA_DIR / "subject-requests"

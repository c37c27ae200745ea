"""A masked camera's playback: playlist of whole masked segments, segment bytes and
thumbnails masked (never the raw bytes), one transcode shared, the cache removed with
its segment, and lifting (right + member policy + reason, journaled)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import av
import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from vigie.audit.models import JournalEntry
from vigie.core.testing import as_system, make_user
from vigie.inventory.models import Camera
from vigie.recording import masking, masks
from vigie.recording import playback as pb
from vigie.recording.models import MemberRecordingPolicy, PrivacyMask
from vigie.recording.paths import segment_file
from vigie.recording.tests.test_playback_fixtures import (
    Footage,
    clip,
    cut_segments,
    footage,
)
from vigie.tenancy.models import ObjectPermission

__all__ = ["clip", "cut_segments", "footage"]  # fixtures used below

# The left half of the picture, top to bottom.
HALF = [[[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]]


@pytest.fixture
def masked(footage: Footage, settings: Any, tmp_path: Path) -> Footage:
    settings.DATA_DIR = tmp_path / "data"
    with as_system():
        PrivacyMask.objects.create(camera=footage.camera, label="Façade", polygons=HALF)
    return footage


def logged(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token(user: Any, footage: Footage) -> str:
    return pb.issue_token(user.pk, footage.camera.pk, "Réquisition PN 2025/042")


def url(name: str, footage: Footage, query: dict[str, str], **kw: Any) -> str:
    return reverse(name, kwargs={"pk": footage.camera.pk, **kw}) + "?" + urlencode(query)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_left_half_masked(path: Path) -> None:
    with av.open(str(path)) as container:
        frame = next(iter(container.decode(video=0)))
    y = frame.to_ndarray(format="gray").astype(int)
    w = y.shape[1]
    left = y[:, : w // 2 - 4]
    assert abs(left.mean() - masking.MASK_LUMA) < 3 and left.std() < 3
    assert y[:, w // 2 + 4 :].std() > 10  # the street, still there


def test_masked_playlist_lists_whole_segments(masked: Footage) -> None:
    viewer = masked.world.viewer_a
    query = {"start": pb.iso(masked.start), "end": pb.iso(masked.end), "t": token(viewer, masked)}
    response = logged(viewer).get(url("camera_playback", masked, query))
    assert response.status_code == 200
    text = response.content.decode()
    assert "#EXT-X-BYTERANGE" not in text
    assert text.count("#EXTINF") == len(masked.segments)
    entry = JournalEntry.objects.filter(action="recording.playback").latest("pk")
    assert entry.details["masked"] is True


def test_masked_segment_is_never_the_raw_bytes(masked: Footage, tmp_path: Path) -> None:
    viewer = masked.world.viewer_a
    segment = masked.segments[0]
    query = {"t": token(viewer, masked)}
    client = logged(viewer)
    response = client.get(url("camera_segment", masked, query, segment=segment.pk))
    assert response.status_code == 200
    data = body(response)
    raw = segment_file(segment).read_bytes()
    assert data != raw and raw[:4096] not in data
    served = tmp_path / "served.ts"
    served.write_bytes(data)
    assert_left_half_masked(served)
    # A byte range of the masked copy, not of the raw file.
    ranged = client.get(
        url("camera_segment", masked, query, segment=segment.pk), HTTP_RANGE="bytes=0-999"
    )
    assert ranged.status_code == 206 and body(ranged) == data[:1000]


def test_masked_thumbnail(masked: Footage, tmp_path: Path) -> None:
    viewer = masked.world.viewer_a
    query = {"at": pb.iso(masked.segments[1].start), "t": token(viewer, masked)}
    response = logged(viewer).get(url("camera_thumbnail", masked, query))
    assert response.status_code == 200
    assert response.content[:2] == b"\xff\xd8"
    picture = tmp_path / "thumb.jpg"
    picture.write_bytes(response.content)
    assert_left_half_masked(picture)
    assert JournalEntry.objects.filter(action="recording.thumbnail").latest("pk").details["masked"]


def test_concurrent_requests_share_one_transcode(
    masked: Footage, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    real = masking.transcode_masked

    def counting(*args: Any, **kwargs: Any) -> None:
        calls.append(args[1])
        real(*args, **kwargs)

    monkeypatch.setattr(masking, "transcode_masked", counting)
    polygons = masking.polygons_for(masked.camera)
    segment = masked.segments[0]
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(masks.masked_segment(segment, polygons)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(calls) == 1 and len(set(results)) == 1 and results[0].is_file()


def test_mask_change_makes_a_new_copy_and_cap_prunes(masked: Footage, settings: Any) -> None:
    segment = masked.segments[0]
    first = masks.masked_segment(segment, masking.polygons_for(masked.camera))
    with as_system():
        mask = PrivacyMask.objects.unrestricted().get(camera=masked.camera)
        mask.polygons = [[[0.5, 0.0], [1.0, 0.0], [1.0, 1.0]]]
        mask.save()
    settings.VIGIE_MASKED_CACHE_BYTES = 1  # everything but the newest goes
    second = masks.masked_segment(segment, masking.polygons_for(masked.camera))
    assert second != first and second.is_file() and not first.exists()


def test_cache_is_removed_when_retention_deletes_the_segment(
    masked: Footage, django_capture_on_commit_callbacks: Any
) -> None:
    from vigie.recording import services

    segment = masked.segments[0]
    copy = masks.masked_segment(segment, masking.polygons_for(masked.camera))
    other = masks.masked_segment(masked.segments[1], masking.polygons_for(masked.camera))
    with as_system(), django_capture_on_commit_callbacks(execute=True):
        services.delete_segments([segment], reason="test of the masked cache")
    assert not copy.exists()
    assert other.exists()


# --------------------------------------------------------------------------- lifting


def lift_right(user: Any, camera: Camera) -> None:
    with as_system():
        permission = ObjectPermission.objects.create(name=f"lift-{user.pk}", actions=["lift_mask"])
        permission.object_types.add(ContentType.objects.get_for_model(Camera))
        permission.members.add(camera.member)
        permission.users.add(user)


def allow_lifting(footage: Footage, allowed: bool = True) -> None:
    with as_system():
        MemberRecordingPolicy.objects.update_or_create(
            member=footage.camera.member, defaults={"masks_may_be_lifted": allowed}
        )


def lifted_segment(footage: Footage, user: Any) -> Any:
    lift = masks.issue_lift_token(user.pk, footage.camera.pk, "Identification demandée OPJ")
    query = {"t": token(user, footage), "l": lift}
    return logged(user).get(url("camera_segment", footage, query, segment=footage.segments[0].pk))


def test_lift_without_the_right_is_refused(masked: Footage) -> None:
    allow_lifting(masked)
    response = lifted_segment(masked, masked.world.viewer_a)
    assert response.status_code == 403


def test_lift_refused_when_the_member_does_not_allow_it(masked: Footage) -> None:
    viewer = masked.world.viewer_a
    lift_right(viewer, masked.camera)
    allow_lifting(masked, allowed=False)
    assert lifted_segment(masked, viewer).status_code == 403
    assert not masks.may_lift(viewer, masked.camera)


def test_lift_with_right_and_reason_serves_raw_and_is_journaled(masked: Footage) -> None:
    viewer = masked.world.viewer_a
    lift_right(viewer, masked.camera)
    allow_lifting(masked)
    response = lifted_segment(masked, viewer)
    assert response.status_code == 200
    assert body(response) == segment_file(masked.segments[0]).read_bytes()
    lift = masks.issue_lift_token(viewer.pk, masked.camera.pk, "Identification demandée OPJ")
    query = {
        "start": pb.iso(masked.start),
        "end": pb.iso(masked.end),
        "t": token(viewer, masked),
        "l": lift,
    }
    text = logged(viewer).get(url("camera_playback", masked, query)).content.decode()
    assert "#EXT-X-BYTERANGE" in text and "&l=" in text
    entry = JournalEntry.objects.filter(action="recording.mask_lifted").latest("pk")
    assert entry.reason == "Identification demandée OPJ"
    assert entry.details["start"] == pb.iso(masked.start)


def test_another_persons_lift_token_is_refused(masked: Footage) -> None:
    viewer = masked.world.viewer_a
    other = make_user(role="town_viewer", members=[masked.camera.member])
    for user in (viewer, other):
        lift_right(user, masked.camera)
    allow_lifting(masked)
    lift = masks.issue_lift_token(viewer.pk, masked.camera.pk, "Identification demandée OPJ")
    query = {"t": token(other, masked), "l": lift}
    response = logged(other).get(
        url("camera_segment", masked, query, segment=masked.segments[0].pk)
    )
    assert response.status_code == 403


def test_unmasked_camera_keeps_byte_ranges(footage: Footage) -> None:
    viewer = footage.world.viewer_a
    query = {
        "start": pb.iso(footage.start),
        "end": pb.iso(footage.end),
        "t": token(viewer, footage),
    }
    text = logged(viewer).get(url("camera_playback", footage, query)).content.decode()
    assert "#EXT-X-BYTERANGE" in text


def test_serving_a_masked_segment_prepares_the_next(masked: Footage) -> None:
    import time

    viewer = masked.world.viewer_a
    first, second = masked.segments[0], masked.segments[1]
    query = {"t": token(viewer, masked)}
    assert (
        logged(viewer).get(url("camera_segment", masked, query, segment=first.pk)).status_code
        == 200
    )
    polygons = masking.polygons_for(masked.camera)
    expected = masks.cached_segment_path(
        masked.camera.pk, segment_file(second), masking.mask_key(polygons)
    )
    deadline = time.monotonic() + 60
    while not expected.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert expected.is_file()


def test_a_segment_still_being_written_is_not_masked_nor_served(masked: Footage) -> None:
    viewer = masked.world.viewer_a
    segment = masked.segments[-1]
    with as_system():
        segment.end = None
        segment.save()
    query = {"t": token(viewer, masked)}
    response = logged(viewer).get(url("camera_segment", masked, query, segment=segment.pk))
    assert response.status_code == 404
    assert not list((masks.camera_cache(masked.camera.pk)).glob("*.ts"))

"""HTTP: playback playlists, segment bytes with Range, thumbnails, the recording page
and the timeline API, with the isolation matrix of every image endpoint."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from vigie.audit.models import JournalEntry
from vigie.core.testing import make_user
from vigie.recording import playback as pb
from vigie.recording.paths import segment_file
from vigie.recording.tests.test_playback_fixtures import (
    Footage,
    clip,
    cut_segments,
    footage,
)

__all__ = ["clip", "cut_segments", "footage"]  # fixtures used below

pytestmark = pytest.mark.django_db


def token_for(user: Any, footage: Footage) -> str:
    return pb.issue_token(user.pk, footage.camera.pk, "Réquisition PN 2025/042")


def playlist_url(footage: Footage, token: str | None, start: Any = None, end: Any = None) -> str:
    query = {"start": pb.iso(start or footage.start), "end": pb.iso(end or footage.end)}
    if token is not None:
        query["t"] = token
    return reverse("camera_playback", kwargs={"pk": footage.camera.pk}) + "?" + urlencode(query)


def segment_url(footage: Footage, token: str | None, segment: Any = None) -> str:
    segment = segment or footage.segments[0]
    url = reverse("camera_segment", kwargs={"pk": footage.camera.pk, "segment": segment.pk})
    return url + ("?" + urlencode({"t": token}) if token is not None else "")


def thumbnail_url(footage: Footage, token: str | None) -> str:
    query = {"at": pb.iso(footage.segments[1].start)}
    if token is not None:
        query["t"] = token
    return reverse("camera_thumbnail", kwargs={"pk": footage.camera.pk}) + "?" + urlencode(query)


def body(response: Any) -> bytes:
    """The bytes of a streamed answer."""
    return b"".join(response.streaming_content)


def logged(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def entries(action: str) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(action=action).order_by("id"))


# --------------------------------------------------------------------------- playlists


def playlist_entries(text: str) -> list[tuple[int, int, str]]:
    """(length, offset, uri) of each entry of a playlist."""
    found = re.findall(r"#EXT-X-BYTERANGE:(\d+)@(\d+)\n(\S+)", text)
    return [(int(n), int(o), uri) for n, o, uri in found]


def test_playlist_lists_byte_ranges_that_cover_the_segments(footage: Footage) -> None:
    client = logged(footage.world.viewer_a)
    response = client.get(playlist_url(footage, token_for(footage.world.viewer_a, footage)))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert text.count("#EXT-X-DISCONTINUITY") == 1  # the 60 s stall
    assert text.count("#EXT-X-PROGRAM-DATE-TIME") == len(footage.segments)
    assert "# gap " in text and " stalled" in text
    got = playlist_entries(text)
    assert len(got) > len(footage.segments)  # segments are split on keyframes
    covered: dict[str, int] = {}
    for length, offset, uri in got:
        assert offset == covered.get(uri.split("?")[0], 0)  # contiguous ranges
        covered[uri.split("?")[0]] = offset + length
    sizes = sorted(s.bytes for s in footage.segments)
    assert sorted(covered.values()) == sizes
    durations = sum(float(d) for d in re.findall(r"#EXTINF:([\d.]+),", text))
    recorded = sum((s.end - s.start).total_seconds() for s in footage.segments)
    assert durations == pytest.approx(recorded, abs=0.1)


def test_range_requests_return_exactly_the_bytes(footage: Footage) -> None:
    viewer = footage.world.viewer_a
    client = logged(viewer)
    text = client.get(playlist_url(footage, token_for(viewer, footage))).content.decode()
    for length, offset, uri in playlist_entries(text)[:4]:
        segment_id = int(re.search(r"/segments/(\d+)\.ts", uri).group(1))  # type: ignore[union-attr]
        segment = next(s for s in footage.segments if s.pk == segment_id)
        data = segment_file(segment).read_bytes()
        last = offset + length - 1
        response = client.get(uri, HTTP_RANGE=f"bytes={offset}-{last}")
        assert response.status_code == 206
        assert response["Content-Range"] == f"bytes {offset}-{last}/{len(data)}"
        assert response["Content-Length"] == str(length)
        assert body(response) == data[offset : last + 1]


@pytest.mark.parametrize(
    ("header", "status", "span"),
    [
        ("bytes=0-99", 206, (0, 99)),
        ("bytes=1000-", 206, (1000, None)),
        ("bytes=-500", 206, (-500, None)),
        ("bytes=0-999999999", 206, (0, None)),
        ("bytes=999999999-", 416, None),
        ("bytes=-0", 416, None),
        ("bytes=0-1,4-5", 200, (0, None)),  # several ranges: ignored, whole file
        ("", 200, (0, None)),
    ],
)
def test_range_header_variants(footage: Footage, header: str, status: int, span: Any) -> None:
    viewer = footage.world.viewer_a
    data = segment_file(footage.segments[0]).read_bytes()
    headers = {"Range": header} if header else {}
    response = logged(viewer).get(segment_url(footage, token_for(viewer, footage)), headers=headers)
    assert response.status_code == status
    if status == 416:
        assert response["Content-Range"] == f"bytes */{len(data)}"
        return
    first, last = span
    expected = data[first:] if last is None else data[first : last + 1]
    assert body(response) == expected
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-01-02T00:00:00Z", "2025-01-01T00:00:00Z", "after its start"),
        ("2025-01-01T00:00:00Z", "2025-01-02T00:00:01Z", "24 hours"),
        ("hier", "2025-01-01T00:00:00Z", "not a date"),
        ("2000-01-01T00:00:00Z", "2000-01-01T01:00:00Z", "outside the recorded period"),
    ],
)
def test_wrong_ranges_are_400(footage: Footage, start: str, end: str, message: str) -> None:
    viewer = footage.world.viewer_a
    url = reverse("camera_playback", kwargs={"pk": footage.camera.pk})
    query = urlencode({"start": start, "end": end, "t": token_for(viewer, footage)})
    client = logged(viewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(f"{url}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not entries("recording.playback")


def test_range_inside_a_gap_is_an_empty_answer(footage: Footage) -> None:
    viewer = footage.world.viewer_a
    gap = footage.gap
    url = playlist_url(footage, token_for(viewer, footage), gap.start, gap.end)
    response = logged(viewer).get(url)
    assert response.status_code == 200
    assert response["X-Vigie-Footage"] == "none"
    text = response.content.decode()
    assert "# no footage in this range" in text and "stalled" in text
    assert "#EXTINF" not in text


def test_playback_is_journaled_with_range_and_reason(footage: Footage) -> None:
    viewer = footage.world.viewer_a
    logged(viewer).get(playlist_url(footage, token_for(viewer, footage)))
    (entry,) = entries("recording.playback")
    assert entry.actor_user_id == viewer.pk
    assert entry.member_id == footage.world.a.pk
    assert entry.reason == "Réquisition PN 2025/042"
    assert entry.details["start"] == pb.iso(footage.start)
    assert entry.details["end"] == pb.iso(footage.end)
    assert entry.details["segments"] == len(footage.segments)
    assert entry.object_ids == [str(footage.camera.pk)]


# --------------------------------------------------------------------------- thumbnails


def test_thumbnail_is_a_jpeg_cached_and_journaled(footage: Footage) -> None:
    viewer = footage.world.viewer_a
    client = logged(viewer)
    url = thumbnail_url(footage, token_for(viewer, footage))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response.content[:2] == b"\xff\xd8"
    path = segment_file(footage.segments[1])
    assert list(path.with_name(path.name + ".thumbs").glob("*.jpg"))
    assert client.get(url).content == response.content
    assert len(entries("recording.thumbnail")) == 2  # every image access is journaled
    assert entries("recording.thumbnail")[0].reason == "Réquisition PN 2025/042"
    bad = url.replace("at=", "at=x")
    assert client.get(bad).status_code == 400
    gap_url = url.replace(
        urlencode({"at": pb.iso(footage.segments[1].start)}),
        urlencode({"at": pb.iso(footage.gap.start + (footage.gap.end - footage.gap.start) / 2)}),
    )
    assert client.get(gap_url).status_code == 404


# --------------------------------------------------------------------------- isolation


def image_urls(footage: Footage, token: str | None) -> dict[str, str]:
    return {
        "playlist": playlist_url(footage, token),
        "segment": segment_url(footage, token),
        "thumbnail": thumbnail_url(footage, token),
    }


@pytest.mark.parametrize("endpoint", ["playlist", "segment", "thumbnail"])
def test_isolation_matrix_of_playback_endpoints(footage: Footage, endpoint: str) -> None:
    world = footage.world
    technician = make_user("tech-a", role="technician", members=[world.a])
    ok = {"playlist": 200, "segment": 200, "thumbnail": 200}[endpoint]
    assert Client().get(image_urls(footage, "x")[endpoint]).status_code == 403
    viewer_url = image_urls(footage, token_for(world.viewer_a, footage))[endpoint]
    assert logged(world.viewer_a).get(viewer_url).status_code == ok
    # Another town's viewer, with a token of their own for this camera id: not found.
    other_url = image_urls(footage, token_for(world.viewer_b, footage))[endpoint]
    assert logged(world.viewer_b).get(other_url).status_code == 404
    assert logged(world.viewer_b).get(viewer_url).status_code == 404
    # Views the camera (health, configuration) but no image.
    tech_url = image_urls(footage, token_for(technician, footage))[endpoint]
    assert logged(technician).get(tech_url).status_code == 404
    assert logged(world.admin_a).get(viewer_url).status_code == 404


@pytest.mark.parametrize("endpoint", ["playlist", "segment", "thumbnail"])
def test_reason_token_missing_forged_expired_or_borrowed(
    footage: Footage, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = footage.world
    client = logged(world.viewer_a)
    good = token_for(world.viewer_a, footage)
    real_time = time.time
    monkeypatch.setattr("django.core.signing.time.time", lambda: real_time() - 3 * 3600)
    expired = token_for(world.viewer_a, footage)
    monkeypatch.setattr("django.core.signing.time.time", real_time)
    colleague = make_user("viewer-a2", role="town_viewer", members=[world.a])
    borrowed = token_for(colleague, footage)
    for token in (None, "", good[:-3] + "abc", expired, borrowed):
        assert client.get(image_urls(footage, token)[endpoint]).status_code == 403, token
    assert not entries("recording.playback") and not entries("recording.thumbnail")


def test_guessed_segment_of_another_camera_is_not_found(footage: Footage) -> None:
    world = footage.world
    # viewer-b's own camera, with camera A's segment id: the segment is not under it.
    token_b = pb.issue_token(world.viewer_b.pk, world.cam_b.pk, "Contrôle de routine")
    url = reverse(
        "camera_segment", kwargs={"pk": world.cam_b.pk, "segment": footage.segments[0].pk}
    )
    assert logged(world.viewer_b).get(f"{url}?t={token_b}").status_code == 404
    missing = reverse("camera_segment", kwargs={"pk": footage.camera.pk, "segment": 999999})
    token_a = token_for(world.viewer_a, footage)
    assert logged(world.viewer_a).get(f"{missing}?t={token_a}").status_code == 404


# --------------------------------------------------------------------------- page and API


def test_recording_page_asks_for_a_reason_then_plays(footage: Footage) -> None:
    world = footage.world
    client = logged(world.viewer_a)
    url = reverse("camera_recording", kwargs={"pk": footage.camera.pk})
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="reason"' in html and 'class="timeline"' in html
    assert "data-token" not in html
    refused = client.post(url, {"reason": "  ", "at": "2025-01-01T10:00:00"})
    assert refused.status_code == 400
    at = footage.start.astimezone(pb.timezone.get_current_timezone()).strftime("%Y-%m-%dT%H:%M:%S")
    played = client.post(url, {"reason": "Dépôt de plainte 2025/77", "at": at})
    assert played.status_code == 200
    token = re.search(r'data-token="([^"]+)"', played.content.decode()).group(1)  # type: ignore[union-attr]
    grant = pb.read_token(token, world.viewer_a.pk, footage.camera.pk)
    assert grant is not None and grant.reason == "Dépôt de plainte 2025/77"
    assert "vendor/hls.js/dist/hls.min.js" in played.content.decode()


def test_recording_page_for_other_roles(footage: Footage) -> None:
    world = footage.world
    url = reverse("camera_recording", kwargs={"pk": footage.camera.pk})
    assert Client().get(url).status_code == 302  # to the login page
    assert logged(world.viewer_b).get(url).status_code == 404
    technician = make_user("tech-a", role="technician", members=[world.a])
    page = logged(technician).get(url)
    assert page.status_code == 200  # the timeline: metadata, no image
    assert 'name="reason"' not in page.content.decode()
    assert "hls.min.js" not in page.content.decode()
    assert logged(technician).post(url, {"reason": "curiosité", "at": ""}).status_code == 404


def test_camera_detail_links_to_the_recording_page(footage: Footage) -> None:
    page = logged(footage.world.viewer_a).get(
        reverse("camera_detail", kwargs={"pk": footage.camera.pk})
    )
    assert reverse("camera_recording", kwargs={"pk": footage.camera.pk}) in page.content.decode()


def test_timeline_api(footage: Footage) -> None:
    world = footage.world
    url = reverse("v1:camera-timeline", kwargs={"pk": footage.camera.pk})
    query = {"start": pb.iso(footage.start), "end": pb.iso(footage.end)}
    response = logged(world.viewer_a).get(url, query)
    assert response.status_code == 200
    data = response.json()
    assert len(data["spans"]) == 2
    assert [g["cause"] for g in data["gaps"]] == ["stalled"]
    technician = make_user("tech-a", role="technician", members=[world.a])
    assert logged(technician).get(url, query).status_code == 200
    assert logged(world.viewer_b).get(url, query).status_code == 404
    assert Client().get(url, query).status_code in (401, 403)
    bad = {"start": query["end"], "end": query["start"]}
    assert logged(world.viewer_a).get(url, bad).status_code == 400

"""API of privacy masks: isolation (ApiIsolationCases), validation errors, the
per-camera route, journal."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from vigie.audit.models import JournalEntry
from vigie.core.api_testing import ApiIsolationCases, token_client
from vigie.core.testing import as_system, make_camera, make_member, make_user
from vigie.recording.models import PrivacyMask

# Tests read the messages: in English, the language of the code.
pytestmark = pytest.mark.usefixtures("english")

GOOD = [[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]]


def make_mask(member: Any) -> PrivacyMask:
    camera = make_camera(member)
    with as_system():
        return PrivacyMask.objects.create(camera=camera, label="Door", polygons=GOOD)


class TestPrivacyMaskApiIsolation(ApiIsolationCases):
    basename = "privacymask"
    model = PrivacyMask
    update_payload = {"label": "Front door"}

    def make(self, member: Any) -> PrivacyMask:
        return make_mask(member)

    def payload(self, member: Any) -> dict[str, Any]:
        return {"camera": make_camera(member).pk, "label": "Window", "polygons": GOOD}

    def move_payload(self, obj: Any, other: Any) -> dict[str, Any] | None:
        return {"camera": make_camera(other).pk}

    def owner_id(self, obj: Any) -> Any:
        return obj.camera.member_id


class TestPrivacyMaskApiTechnician(TestPrivacyMaskApiIsolation):
    writer_role = "technician"
    viewer_role = "auditor"


@pytest.mark.parametrize(
    ("polygons", "fragment"),
    [
        ([[[0.1, 0.1], [0.5, 0.1]]], "fewer than 3"),
        ([[[0.1, 0.1], [0.5, 0.1], [1.5, 0.5]]], "between 0 and 1"),
        ("square", "list of polygons"),
    ],
)
def test_bad_polygons_are_a_400_naming_the_fault(db: None, polygons: Any, fragment: str) -> None:
    member = make_member()
    client = token_client(make_user(role="technician", members=[member]))
    body = {"camera": make_camera(member).pk, "label": "Door", "polygons": polygons}
    response = client.post(reverse("v1:privacymask-list"), body, format="json")
    assert response.status_code == 400
    assert fragment in str(response.json())
    assert not PrivacyMask.objects.unrestricted().exists()


def test_per_camera_route_lists_and_creates(db: None) -> None:
    member = make_member()
    mask = make_mask(member)
    other_camera_mask = make_mask(member)
    client = token_client(make_user(role="syndicate_admin", members=[member]))
    url = reverse("v1:camera-privacymask-list", kwargs={"camera_pk": mask.camera_id})
    listed = client.get(url).json()
    ids = {row["id"] for row in listed["results"]}
    assert ids == {mask.pk} and other_camera_mask.pk not in ids
    response = client.post(url, {"label": "Balcony", "polygons": GOOD}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["camera"] == mask.camera_id
    assert JournalEntry.objects.filter(action__contains="privacymask").count() >= 3


def test_per_camera_route_refuses_another_towns_camera(db: None) -> None:
    a, b = make_member(), make_member()
    theirs = make_mask(b)
    client = token_client(make_user(role="syndicate_admin", members=[a]))
    url = reverse("v1:camera-privacymask-list", kwargs={"camera_pk": theirs.camera_id})
    assert client.get(url).json()["results"] == []
    response = client.post(url, {"label": "X", "polygons": GOOD}, format="json")
    assert response.status_code in (400, 403, 404)
    assert PrivacyMask.objects.unrestricted().count() == 1


def test_town_viewer_may_not_write(db: None) -> None:
    member = make_member()
    client = token_client(make_user(role="town_viewer", members=[member]))
    body = {"camera": make_camera(member).pk, "label": "Door", "polygons": GOOD}
    assert client.post(reverse("v1:privacymask-list"), body, format="json").status_code == 403

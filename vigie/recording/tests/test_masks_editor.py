"""The mask editor page: who sees the list, who may draw (the raw still only for those
who manage masks and watch images, journaled), saving (form and JSON) and deleting;
the recording page's masked note and lift option."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vigie.audit.models import JournalEntry
from vigie.core.testing import as_system, habilitate, make_user
from vigie.inventory.models import Camera
from vigie.recording.models import MemberRecordingPolicy, PrivacyMask
from vigie.recording.tests.test_playback_fixtures import Footage, clip, cut_segments, footage
from vigie.tenancy.models import ObjectPermission

# Tests read the messages: in English, the language of the code.
pytestmark = pytest.mark.usefixtures("english")

__all__ = ["clip", "cut_segments", "footage"]
GOOD = [[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]]


def logged(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def grant(user: Any, camera: Camera, *actions: str) -> None:
    with as_system():
        permission = ObjectPermission.objects.create(
            name=f"p-{user.pk}-{'-'.join(actions)}", actions=list(actions)
        )
        permission.object_types.add(ContentType.objects.get_for_model(Camera))
        permission.members.add(camera.member)
        permission.users.add(user)


def editor_url(camera: Camera) -> str:
    return reverse("camera_masks", kwargs={"pk": camera.pk})


def still_url(camera: Camera) -> str:
    return reverse("camera_mask_still", kwargs={"pk": camera.pk})


def test_technician_with_image_right_draws_on_the_still(footage: Footage) -> None:
    camera = footage.camera
    tech = make_user(role="technician", members=[camera.member])
    habilitate(tech, "town_viewer", [camera.member])  # designated to watch this town
    grant(tech, camera, "view_live")
    client = logged(tech)
    page = client.get(editor_url(camera)).content.decode()
    assert 'id="mask-editor"' in page and "masks.js" in page
    response = client.get(still_url(camera))
    assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"
    assert JournalEntry.objects.filter(action="recording.mask_editor_still").exists()


def test_technician_without_image_right_gets_no_still(footage: Footage) -> None:
    camera = footage.camera
    tech = make_user(role="technician", members=[camera.member])
    client = logged(tech)
    page = client.get(editor_url(camera)).content.decode()
    assert 'id="mask-editor"' not in page and 'name="polygons"' in page
    assert client.get(still_url(camera)).status_code == 404
    # A viewer watches images but does not manage masks: no still either.
    assert logged(footage.world.viewer_a).get(still_url(camera)).status_code == 404


def test_save_by_form_and_json_then_delete(footage: Footage) -> None:
    camera = footage.camera
    client = logged(make_user(role="technician", members=[camera.member]))
    response = client.post(editor_url(camera), {"label": "No. 12", "polygons": json.dumps(GOOD)})
    assert response.status_code == 302
    response = client.post(
        editor_url(camera),
        json.dumps({"label": "No. 14", "polygons": GOOD}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert PrivacyMask.objects.unrestricted().filter(camera=camera).count() == 2
    bad = client.post(
        editor_url(camera),
        json.dumps({"label": "Bad", "polygons": [[[0.1, 0.1], [2, 2], [0.3, 0.3]]]}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "between 0 and 1" in bad.content.decode()
    bad_form = client.post(editor_url(camera), {"label": "Bad", "polygons": "[[1, 2]]"})
    assert bad_form.status_code == 400
    mask = PrivacyMask.objects.unrestricted().get(label="No. 12")
    delete = reverse("camera_mask_delete", kwargs={"pk": camera.pk, "mask": mask.pk})
    assert client.post(delete).status_code == 302
    assert not PrivacyMask.objects.unrestricted().filter(pk=mask.pk).exists()
    assert JournalEntry.objects.filter(action__contains="privacymask").count() == 3


def test_viewer_sees_the_list_but_may_not_save(footage: Footage) -> None:
    camera = footage.camera
    viewer = footage.world.viewer_a
    page = logged(viewer).get(editor_url(camera))
    assert page.status_code == 200 and 'name="polygons"' not in page.content.decode()
    response = logged(viewer).post(editor_url(camera), {"label": "X", "polygons": json.dumps(GOOD)})
    assert response.status_code == 403
    assert not PrivacyMask.objects.unrestricted().exists()


def test_other_town_gets_404_everywhere(footage: Footage) -> None:
    camera = footage.camera
    with as_system():
        mask = PrivacyMask.objects.create(camera=camera, label="Door", polygons=GOOD)
    other = logged(footage.world.admin_b)
    assert other.get(editor_url(camera)).status_code == 404
    assert other.get(still_url(camera)).status_code == 404
    assert other.post(editor_url(camera), {"label": "X", "polygons": "[]"}).status_code == 404
    delete = reverse("camera_mask_delete", kwargs={"pk": camera.pk, "mask": mask.pk})
    assert other.post(delete).status_code == 404
    assert PrivacyMask.objects.unrestricted().filter(pk=mask.pk).exists()


def test_recording_page_offers_lifting_only_with_the_right(footage: Footage) -> None:
    camera = footage.camera
    viewer = footage.world.viewer_a
    with as_system():
        PrivacyMask.objects.create(camera=camera, label="Door", polygons=GOOD)
        MemberRecordingPolicy.objects.create(member=camera.member, masks_may_be_lifted=True)
    url = reverse("camera_recording", kwargs={"pk": camera.pk})
    page = logged(viewer).get(url).content.decode()
    assert "Privacy masks apply" in page or "masques" in page.lower()
    assert 'name="lift_mask"' not in page
    grant(viewer, camera, "lift_mask")
    client = logged(viewer)
    assert 'name="lift_mask"' in client.get(url).content.decode()
    at = timezone.localtime(footage.start).strftime("%Y-%m-%dT%H:%M:%S")
    form = {"reason": "Réquisition PN 2025/042", "at": at, "lift_mask": "1", "lift_reason": "x"}
    assert client.post(url, form).status_code == 400  # the lift needs its own reason
    form["lift_reason"] = "Identification demandée par l'OPJ"
    page = client.post(url, form).content.decode()
    assert "data-lift-token=" in page

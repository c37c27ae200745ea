"""The image endpoints themselves follow the habilitations, request by request: an open
live view (the player polls its playlist) stops as soon as the approval is suspended or
the designation withdrawn, and resumes when they are back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from vigie.core.testing import as_system
from vigie.recording import playback as pb
from vigie.recording.tests.test_playback_fixtures import (
    Footage,
    clip,
    cut_segments,
    footage,
    live,
    live_source,
)
from vigie.tenancy import habilitation_services as services
from vigie.tenancy.models import Approval, Designation

__all__ = ["clip", "cut_segments", "footage", "live", "live_source"]  # fixtures

pytestmark = pytest.mark.django_db


def logged(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_open_live_view_stops_when_the_approval_is_suspended(footage: Footage, live: Path) -> None:
    viewer = footage.world.viewer_a
    url = reverse("camera_live_playlist", kwargs={"pk": footage.camera.pk})
    client = logged(viewer)
    assert client.get(url).status_code == 200
    approval = Approval.objects.unrestricted().get(user=viewer)
    with as_system():
        services.set_approval_state(approval, suspended=True)
    assert client.get(url).status_code == 404  # the same session, the next poll
    with as_system():
        services.set_approval_state(approval, suspended=False)
    assert client.get(url).status_code == 200


def test_playback_stops_when_the_designation_is_withdrawn(footage: Footage) -> None:
    viewer = footage.world.viewer_a
    client = logged(viewer)
    token = pb.issue_token(viewer.pk, footage.camera.pk, "Vérification d'un signalement")
    start, end = footage.segments[0].start, footage.segments[-1].end
    query = {"start": start.isoformat(), "end": end.isoformat(), "t": token}
    url = reverse("camera_playback", kwargs={"pk": footage.camera.pk})
    assert client.get(url, query).status_code == 200
    designation = Designation.objects.unrestricted().get(user=viewer, member=footage.world.a)
    with as_system():
        services.withdraw_designation(designation)
    assert client.get(url, query).status_code == 404

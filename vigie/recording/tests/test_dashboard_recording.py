"""The home page shows storage alarms and cameras not recording, within each one's reach."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from vigie.core.testing import as_system, make_camera, make_member, make_user
from vigie.recording import services
from vigie.recording.models import CameraRecordingState, IngestState
from vigie.recording.tests.retention_support import make_pool

pytestmark = pytest.mark.django_db


def _home(client: Any, user: Any) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_storage_alarm_and_stalled_camera_on_the_dashboard(client, tmp_path):
    a, b = make_member(), make_member()
    pool_a = make_pool(tmp_path / "a", member=a)
    with as_system():
        services.raise_storage_alarm(pool_a, "Disque plein : rien ne peut être supprimé")
    stalled = make_camera(a, name="ANT-STALLED")
    with as_system():
        CameraRecordingState.objects.create(
            camera=stalled, state=IngestState.STALLED, since=timezone.now(), detail="no data"
        )
    admin_a = make_user(role="syndicate_admin", members=[a])
    html = _home(client, admin_a)
    assert "Disque plein" in html and 'role="alert"' in html
    assert "ANT-STALLED" in html

    viewer_b = make_user(role="town_viewer", members=[b])
    other = _home(client, viewer_b)
    assert "Disque plein" not in other and "ANT-STALLED" not in other


def test_no_panel_without_anything_to_show(client):
    html = _home(client, make_user(role="town_viewer", members=[make_member()]))
    assert 'id="panel-recording"' not in html

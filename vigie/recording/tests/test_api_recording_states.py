"""The recorder's view of each camera over the API, in three cases."""

from __future__ import annotations

import pytest
from django.utils import timezone

from vigie.core.api_testing import detail_url, list_url, listed_ids, token_client
from vigie.core.testing import as_system, make_camera, make_member, make_user
from vigie.recording.models import CameraRecordingState, IngestState

pytestmark = pytest.mark.django_db


def _state(member, state=IngestState.RECORDING):
    with as_system():
        return CameraRecordingState.objects.create(
            camera=make_camera(member), state=state, since=timezone.now()
        )


def test_without_permission_nothing():
    _state(make_member())
    response = token_client(make_user()).get(list_url("recordingstate"))
    assert response.status_code == 403


def test_with_permission_own_member_and_filter():
    a = make_member()
    recording, stalled = _state(a), _state(a, IngestState.STALLED)
    technician = token_client(make_user(role="technician", members=[a]))
    assert listed_ids(technician.get(list_url("recordingstate"))) == {recording.pk, stalled.pk}
    only = technician.get(list_url("recordingstate"), {"state": "stalled"})
    assert listed_ids(only) == {stalled.pk}
    body = technician.get(detail_url("recordingstate", stalled.pk)).json()
    assert body["state"] == "stalled" and body["member"] == a.slug


def test_other_member_sees_nothing_and_cannot_write():
    a, b = make_member(), make_member()
    theirs = _state(a)
    other = token_client(make_user(role="town_viewer", members=[b]))
    assert theirs.pk not in listed_ids(other.get(list_url("recordingstate")))
    assert other.get(detail_url("recordingstate", theirs.pk)).status_code == 404
    admin = token_client(make_user(role="syndicate_admin", all_members=True))
    response = admin.patch(detail_url("recordingstate", theirs.pk), {"state": "disabled"})
    assert response.status_code in (403, 405)
    theirs.refresh_from_db()
    assert theirs.state == IngestState.RECORDING

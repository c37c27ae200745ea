"""The supervision round: states, history on changes only, one ticket per outage."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from vigie.core.testing import as_system, make_member
from vigie.servicedesk.models import DeskSettings, Status, Ticket
from vigie.supervision.models import CameraHealth, HealthChange, HealthState
from vigie.supervision.probe import Timeouts
from vigie.supervision.services import supervise_round
from vigie.supervision.tests.conftest import enabled_camera
from vigie.supervision.tests.rtsp_responder import SPS_240P_5, Mount, Responder, h264_sdp

pytestmark = pytest.mark.django_db
FAST = Timeouts(1.0, 1.0)


def test_round_states_history_and_norms() -> None:
    member = make_member()
    mounts = {"/small": Mount(sdp=h264_sdp(SPS_240P_5)), "/gone": Mount(mode="missing")}
    with Responder(mounts) as responder:
        good = enabled_camera(member, responder.url("/cam1"))
        small = enabled_camera(member, responder.url("/small"), close_up=True)
        gone = enabled_camera(member, responder.url("/gone"))
        with as_system():
            first = supervise_round(timeouts=FAST)
            second = supervise_round(timeouts=FAST)
    assert first.probed == 3 and first.changes == 3 and second.changes == 0
    health = {h.camera_id: h for h in CameraHealth.objects.unrestricted()}
    # No recorder runs here: reachable cameras are degraded for that reason.
    assert health[good.pk].state == HealthState.DEGRADED
    assert (health[good.pk].width, health[good.pk].codec) == (1280, "H264")
    assert health[small.pk].norms_ok is False and "704" in health[small.pk].norms_detail
    assert health[gone.pk].state == HealthState.DOWN and health[gone.pk].rtsp_status == 404
    assert health[gone.pk].trouble_since is not None
    assert HealthChange.objects.unrestricted().count() == 3


def test_disabled_camera_leaves_supervision() -> None:
    member = make_member()
    with Responder() as responder:
        camera = enabled_camera(member, responder.url("/cam1"))
        with as_system():
            supervise_round(timeouts=FAST)
            camera.enabled = False
            camera.save()
            supervise_round(timeouts=FAST)
    states = list(
        HealthChange.objects.unrestricted().filter(camera=camera).values_list("state", flat=True)
    )
    assert states == [HealthState.DEGRADED, HealthState.UNSUPERVISED]


def _tickets(camera):
    return Ticket.objects.unrestricted().filter(camera=camera, automatic=True)


def test_stopped_camera_opens_one_ticket_and_resolves_on_return(rtsp_cameras, settings):
    settings.VIGIE_TICKET_AFTER_S = 1
    cams = rtsp_cameras(2, auth=("vigie", "pw 1"))
    member = make_member()
    with as_system():
        DeskSettings.objects.create(member=member, auto_resolve=True)
    watched = enabled_camera(member, cams.url(1, "vigie", "pw 1"))
    other = enabled_camera(member, cams.url(2, "vigie", "pw 1"))
    call_command("supervise", "--once")
    assert CameraHealth.objects.unrestricted().get(camera=watched).reachable
    cams.stop_camera(1)
    for _ in range(3):
        call_command("supervise", "--once")
        assert _tickets(watched).count() <= 1
        time.sleep(0.6)
    call_command("supervise", "--once")
    assert _tickets(watched).count() == 1
    assert _tickets(other).count() == 0
    ticket = _tickets(watched).get()
    assert ticket.status not in (Status.RESOLVED, Status.CLOSED)
    health = CameraHealth.objects.unrestricted().get(camera=watched)
    assert health.state == HealthState.DOWN and health.ticket_opened
    cams.start_camera(1)
    call_command("supervise", "--once")
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert _tickets(watched).count() == 1
    health.refresh_from_db()
    assert health.state != HealthState.DOWN and not health.ticket_opened
    # Down → back: two changes after the first state, one outage.
    states = list(
        HealthChange.objects.unrestricted().filter(camera=watched).values_list("state", flat=True)
    )
    assert states[1] == HealthState.DOWN and states[2] != HealthState.DOWN


def test_threshold_per_member_policy() -> None:
    from vigie.supervision.models import SupervisionPolicy
    from vigie.supervision.services import ticket_threshold

    member = make_member()
    with as_system():
        SupervisionPolicy.objects.create(member=member, ticket_after_minutes=40)
    assert ticket_threshold(member.pk, {member.pk: 40}) == timedelta(minutes=40)
    assert ticket_threshold(member.pk + 1, {}) == timedelta(minutes=15)
    assert timezone.now()


def test_demo_history_reads_like_a_real_month() -> None:
    from vigie.inventory.models import Camera
    from vigie.supervision import reports
    from vigie.supervision.demo import seed_history

    member = make_member()
    with as_system():
        Camera.objects.unrestricted().bulk_create(
            [Camera(member=member, name=f"D{i}", enabled=True) for i in range(300)]
        )
        assert seed_history() == 300
        assert seed_history() == 0  # only cameras without history
    start = timezone.now() - timedelta(days=30)
    report = reports.build(actors_system(), start, timezone.now(), with_daily=False)
    assert 0.97 < (report.syndicate.rate or 0) < 1
    down_now = CameraHealth.objects.unrestricted().filter(state=HealthState.DOWN).count()
    assert 0 < down_now < 10


def actors_system():
    from vigie.core import actors

    return actors.system("tests")


def test_the_recorded_frame_rate_is_kept_and_judged(tmp_path, english) -> None:
    from vigie.recording.models import Segment
    from vigie.recording.tests.retention_support import make_pool, make_segment

    member = make_member()
    with Responder({}) as responder:
        camera = enabled_camera(member, responder.url("/cam1"), close_up=True)
        start = timezone.now() - timedelta(minutes=2)
        row = make_segment(camera, make_pool(tmp_path), start, seconds=20, write=False)
        Segment.objects.unrestricted().filter(pk=row.pk).update(frames=100)  # 5 per second
        with as_system():
            supervise_round(timeouts=FAST)
    health = CameraHealth.objects.unrestricted().get(camera=camera)
    assert health.recorded_fps == 5.0
    assert health.norms_ok is False and "5 frames/s below 12" in health.norms_detail

"""``/metrics``: the Prometheus text format, and who may read it."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from vigie.core.testing import make_member
from vigie.supervision.models import HealthState
from vigie.supervision.tests.support import make_health

pytestmark = pytest.mark.django_db


def test_format_and_values():
    member = make_member()
    down = make_health(member, HealthState.DOWN)
    make_health(member, HealthState.OK)
    response = Client().get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    states = {
        (s.labels["camera_id"], s.labels["state"]): s.value
        for s in families["vigie_camera_state"].samples
    }
    assert states[(str(down.camera_id), "down")] == 1
    counts = {s.labels["state"]: s.value for s in families["vigie_cameras"].samples}
    assert counts["down"] == 1 and counts["ok"] == 1
    latency = families["vigie_camera_probe_latency_seconds"]
    count = next(s for s in latency.samples if s.name.endswith("_count"))
    assert count.value == 2
    for name in (
        "vigie_recorder_gaps_last_hour",
        "vigie_recorder_segments_last_hour",
        "vigie_recorder_cameras",
        "vigie_storage_pool_free_bytes",
    ):
        assert name in families


def test_protection(settings):
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.9").status_code == 403
    # A reverse proxy on the same host: local address, forwarded header.
    proxied = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.9")
    assert proxied.status_code == 403
    settings.VIGIE_METRICS_TOKEN = "t0ken"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    wrong = client.get("/metrics", REMOTE_ADDR="192.0.2.9", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    right = client.get("/metrics", REMOTE_ADDR="192.0.2.9", HTTP_AUTHORIZATION="Bearer t0ken")
    assert right.status_code == 200

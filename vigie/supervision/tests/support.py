"""Rows for the supervision tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from vigie.core.testing import as_system, make_camera
from vigie.supervision.models import CameraHealth, HealthChange, HealthState


def make_health(
    member: Any,
    state: str = HealthState.OK,
    *,
    since: datetime | None = None,
    history: list[tuple[timedelta, str]] | None = None,
    **camera: Any,
) -> CameraHealth:
    """A camera with its health row and a history (offsets from ``since``)."""
    since = since or timezone.now() - timedelta(days=2)
    cam = make_camera(member, **camera)
    with as_system():
        health = CameraHealth.objects.create(camera=cam, state=state, since=since, latency_ms=12.5)
        for offset, past in history or [(timedelta(0), state)]:
            HealthChange.objects.create(camera=cam, state=past, at=since + offset)
    return health

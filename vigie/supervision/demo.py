"""A month of synthetic state history for the demo, so that the availability
dashboard has something to show before ``vigie supervise`` has run for weeks.

Deterministic (a seeded generator): each enabled camera without history starts OK
``days`` ago, about one in three has one or two outages of 1–12 hours, and about one
in a hundred is down now (Antony: 579 cameras, 6 out of order). Every row says it is
synthetic in its cause. The first real supervision round then carries on from it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.utils import timezone

from vigie.core.models import require_actor
from vigie.inventory.models import Camera
from vigie.supervision.models import CameraHealth, HealthChange, HealthState

DEMO_CAUSE = "demo: synthetic history"


def seed_history(days: int = 30, now: datetime | None = None, seed: int = 7) -> int:
    """Write the history of the enabled cameras that have none; returns how many."""
    require_actor()
    now = now or timezone.now()
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    cameras = Camera.objects.unrestricted().filter(enabled=True, health__isnull=True)
    healths, changes = [], []
    for camera in cameras.order_by("pk"):
        start = now - timedelta(days=days)
        rows = [(start, HealthState.OK)]
        for _ in range(rng.choice((0, 0, 1, 2))):
            down_at = start + timedelta(hours=rng.uniform(0, days * 24 - 13))
            rows += [
                (down_at, HealthState.DOWN),
                (down_at + timedelta(hours=rng.uniform(1, 12)), HealthState.OK),
            ]
        rows.sort()
        if rng.random() < 0.01:
            down_at = now - timedelta(hours=rng.uniform(1, 48))
            rows = [r for r in rows if r[0] < down_at] + [(down_at, HealthState.DOWN)]
        rows = [r for i, r in enumerate(rows) if i == 0 or r[1] != rows[i - 1][1]]
        changes += [HealthChange(camera=camera, state=s, at=at, cause=DEMO_CAUSE) for at, s in rows]
        last_at, last_state = rows[-1]
        healths.append(
            CameraHealth(camera=camera, state=last_state, since=last_at, cause=DEMO_CAUSE)
        )
    CameraHealth.objects.unrestricted().bulk_create(healths, batch_size=500)
    HealthChange.objects.unrestricted().bulk_create(changes, batch_size=500)
    return len(healths)

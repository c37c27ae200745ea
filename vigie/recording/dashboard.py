"""Home page panel of the recording engine: storage alarms first, then how the
cameras are being recorded (states written by the recorder)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest

from vigie.core.views import Panel, register_panel
from vigie.recording import services
from vigie.recording.models import CameraRecordingState, IngestState

SHOWN = 10
# States that need someone to look: the camera should be recorded and is not.
TROUBLE = (IngestState.RECONNECTING, IngestState.STALLED, IngestState.DISK_FULL)


def recording(request: HttpRequest) -> dict[str, Any] | None:
    states = CameraRecordingState.objects.restrict(request.user, "view")
    alarms = list(services.active_storage_alarms(request.user).order_by("-raised_at"))
    if not alarms and not states.exists():
        return None
    counts = dict(states.values_list("state").annotate(n=Count("pk")).order_by())
    trouble = states.filter(state__in=TROUBLE).select_related("camera").order_by("since")
    return {
        "alarms": alarms,
        "counts": [(s.value, s.label, counts[s.value]) for s in IngestState if counts.get(s.value)],
        "trouble": list(trouble[:SHOWN]),
        "trouble_count": trouble.count(),
    }


register_panel(Panel("recording", "recording/panels/recording.html", recording, order=15))

"""Home page panel of requisitions: how many are open, the late ones first."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from vigie.core.views import Panel, register_panel
from vigie.evidence.filters import late_q
from vigie.evidence.models import ExportJob, JobStatus, Requisition
from vigie.evidence.workflow import FINAL

SHOWN = 5


def requisitions(request: HttpRequest) -> dict[str, Any] | None:
    rows = Requisition.objects.restrict(request.user, "view")
    open_rows = rows.exclude(status__in=list(FINAL))
    open_count = open_rows.count()
    if not open_count:
        return None
    late = open_rows.filter(late_q()).select_related("member").order_by("deadline", "pk")
    running = ExportJob.objects.restrict(request.user, "view").filter(
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    )
    return {
        "open_count": open_count,
        "late": list(late[:SHOWN]),
        "late_count": late.count(),
        "exports": running.count(),
    }


register_panel(Panel("requisitions", "evidence/panels/requisitions.html", requisitions, order=30))

"""Home page panel of the habilitations: prefectoral approvals due for renewal."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from vigie.core.views import Panel, register_panel
from vigie.tenancy import habilitation_services as services
from vigie.tenancy.models import Approval


def expiring_approvals(request: HttpRequest) -> dict[str, Any] | None:
    if not Approval.objects.restrict(request.user, "view").exists():
        return None
    due = services.expiring_approvals(request.user)
    return {
        "count": due.count(),
        "items": list(due[:10]),
        "url": reverse("approval_list") + "?state=expiring",
    }


register_panel(
    Panel("expiring_approvals", "tenancy/panels/expiring_approvals.html", expiring_approvals, 25)
)

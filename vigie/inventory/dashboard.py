"""Home page panels of the inventory: the fleet, renewals due, cameras not authorised."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse

from vigie.core.views import Panel, may, register_panel
from vigie.inventory import services
from vigie.inventory.choices import CameraStatus
from vigie.inventory.models import Authorisation, Camera, Site
from vigie.tenancy.models import Member

SHOWN = 10


def fleet(request: HttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not may(user, Camera, "view") and not may(user, Site, "view"):
        return None
    cameras = Camera.objects.restrict(user, "view")
    by_status = dict(cameras.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "members": Member.objects.restrict(user, "view").count(),
        "sites": Site.objects.restrict(user, "view").count(),
        "cameras": sum(by_status.values()),
        "enabled": cameras.filter(enabled=True).count(),
        "statuses": [
            (s.value, s.label, by_status.get(s.value, 0))
            for s in CameraStatus
            if by_status.get(s.value)
        ],
    }


def expiring(request: HttpRequest) -> dict[str, Any] | None:
    if not Authorisation.objects.restrict(request.user, "view").exists():
        return None
    due = services.expiring_authorisations(request.user).select_related("member")
    return {
        "count": due.count(),
        "items": list(due.order_by("expires_on")[:SHOWN]),
        "url": reverse("authorisation_list") + "?state=expiring",
    }


def unauthorised(request: HttpRequest) -> dict[str, Any] | None:
    if not Camera.objects.restrict(request.user, "view").exists():
        return None
    cameras = services.unauthorised_cameras(request.user).select_related("member")
    return {
        "count": cameras.count(),
        "items": list(cameras.order_by("member__name", "name")[:SHOWN]),
        "url": reverse("camera_list") + "?authorised=false",
    }


register_panel(Panel("fleet", "inventory/panels/fleet.html", fleet, order=10))
register_panel(Panel("expiring", "inventory/panels/expiring.html", expiring, order=20))
register_panel(Panel("unauthorised", "inventory/panels/unauthorised.html", unauthorised, order=30))

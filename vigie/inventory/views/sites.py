"""Sites: list with filters, detail with their cameras and links, add, edit, delete."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vigie.core.views import (
    Column,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
)
from vigie.inventory.filters import SiteFilter
from vigie.inventory.forms import SiteForm
from vigie.inventory.models import Camera, Site, TransportLink
from vigie.inventory.views.common import camera_status


class SiteListView(ObjectListView):
    model = Site
    add_label = _("Add a site")
    filterset = SiteFilter
    select_related = ("member",)
    columns = (
        Column("name", link=True),
        Column("member"),
        Column("address"),
        Column("postcode"),
        Column("city"),
    )


class SiteDetailView(ObjectDetailView):
    model = Site
    select_related = ("member",)
    template_name = "inventory/site_detail.html"
    fields = (
        Column("member"),
        Column("address"),
        Column("postcode"),
        Column("city"),
        Column("latitude"),
        Column("longitude"),
        Column("notes"),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        cameras = Camera.objects.restrict(request.user, "view").filter(site=obj)
        links = TransportLink.objects.restrict(request.user, "view").filter(site=obj)
        return {
            "cameras": [(c, camera_status(c)) for c in cameras.order_by("name")[:500]],
            "camera_count": cameras.count(),
            "links": links.order_by("name"),
            "cameras_heading": _("Cameras of this site"),
        }


class SiteEditView(ObjectEditView):
    model = Site
    add_label = _("Add a site")
    form_class = SiteForm


class SiteDeleteView(ObjectDeleteView):
    model = Site

"""Cameras: list with filters, detail, add, edit, enable/disable, delete."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.core.models import IsolationError
from vigie.core.views import (
    Column,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectView,
    isolation_message,
    may,
    model_url,
    object_url,
)
from vigie.inventory import services
from vigie.inventory.choices import Purpose
from vigie.inventory.filters import CameraFilter
from vigie.inventory.forms import CameraForm
from vigie.inventory.models import Authorisation, Camera
from vigie.inventory.views.common import authorisation_state, camera_status, enabled_badge


class CameraListFilter(CameraFilter):
    """The shared camera filters, plus whether a valid authorisation covers the camera."""

    authorised = django_filters.BooleanFilter(
        method="by_authorisation", label=gettext_lazy("Valid authorisation")
    )

    def by_authorisation(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        missing = services.unauthorised_cameras(self.request.user).values("pk")
        return queryset.exclude(pk__in=missing) if value else queryset.filter(pk__in=missing)


def purposes_cell(camera: Any) -> str:
    labels = {value: str(label) for value, label in Purpose.choices}
    return "; ".join(labels.get(p, str(p)) for p in camera.purposes or []) or "—"


class CameraListView(ObjectListView):
    model = Camera
    add_label = gettext_lazy("Add a camera")
    filterset = CameraListFilter
    select_related = ("member", "site")
    template_name = "inventory/camera_list.html"
    hidden_filters = ("mac_address", "ip_address")
    columns = (
        Column("name", link=True),
        Column("member"),
        Column("site"),
        Column("camera_type"),
        Column("transport"),
        Column("ip_address"),
        Column("mac_address", css="mono"),
        Column("status", render=camera_status),
        Column("enabled", render=enabled_badge),
    )

    def extra_context(self, request: HttpRequest) -> dict[str, Any]:
        query = request.GET.urlencode()
        map_url = model_url(Camera, "map") or ""
        return {
            "map_url": f"{map_url}?{query}" if query else map_url,
            "import_url": model_url(Camera, "import") if may(request.user, Camera, "add") else None,
        }


class CameraDetailView(ObjectDetailView):
    model = Camera
    select_related = ("member", "site", "transport_link", "recorder_node", "storage_pool")
    template_name = "inventory/camera_detail.html"
    fields = (
        Column("member"),
        Column("site"),
        Column("model"),
        Column("camera_type"),
        Column("ip_address"),
        Column("mac_address", css="mono"),
        Column("rtsp_main", css="mono"),
        Column("rtsp_sub", css="mono"),
        Column("address"),
        Column("latitude"),
        Column("longitude"),
        Column("support"),
        Column("transport"),
        Column("transport_link"),
        Column("purposes", render=purposes_cell),
        Column("close_up"),
        Column("retention_days"),
        Column("status", render=camera_status),
        Column("enabled", render=enabled_badge),
        Column("recorder_node"),
        Column("storage_pool"),
        Column("notes"),
        Column("updated"),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        auths = Authorisation.objects.restrict(request.user, "view").filter(cameras=obj)
        return {
            "authorisations": [(a, authorisation_state(a)) for a in auths.order_by("-expires_on")],
            "may_toggle": may(request.user, Camera, "change", obj),
            "blockers": list(obj.enable_blockers().values()) if not obj.enabled else [],
        }


class CameraEditView(ObjectEditView):
    model = Camera
    add_label = gettext_lazy("Add a camera")
    form_class = CameraForm

    def write(self, form: Any) -> Any:
        return services.save_camera(form.save(commit=False))


class CameraDeleteView(ObjectDeleteView):
    model = Camera


class CameraEnableView(ObjectView):
    """POST only: enable (refused without a stream URL and a valid authorisation) or disable."""

    model = Camera
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        camera = self.get_object("change", pk=pk)
        enable = request.POST.get("enabled") == "1"
        try:
            services.set_enabled(camera, enable)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except IsolationError as exc:
            messages.error(request, isolation_message(exc))
        else:
            text = _("Camera “%(obj)s” enabled.") if enable else _("Camera “%(obj)s” disabled.")
            messages.success(request, text % {"obj": camera})
        return HttpResponseRedirect(object_url(camera) or "/")

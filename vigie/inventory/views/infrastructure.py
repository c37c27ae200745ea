"""Transport links, recorder nodes and storage pools: list, detail, add, edit, delete."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from vigie.core.views import (
    Column,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
)
from vigie.inventory.filters import RecorderNodeFilter, StoragePoolFilter, TransportLinkFilter
from vigie.inventory.forms import RecorderNodeForm, StoragePoolForm, TransportLinkForm
from vigie.inventory.models import Camera, RecorderNode, StoragePool, TransportLink
from vigie.inventory.views.common import camera_status, enabled_badge

# -- transport links ---------------------------------------------------------


class TransportLinkListView(ObjectListView):
    model = TransportLink
    add_label = gettext_lazy("Add a transport link")
    filterset = TransportLinkFilter
    select_related = ("member", "site")
    columns = (
        Column("name", link=True),
        Column("member"),
        Column("kind"),
        Column("site"),
        Column("bandwidth_mbps"),
        Column("provider"),
    )


class TransportLinkDetailView(ObjectDetailView):
    model = TransportLink
    select_related = ("member", "site")
    template_name = "inventory/with_cameras_detail.html"
    fields = (
        Column("member"),
        Column("kind"),
        Column("site"),
        Column("endpoint"),
        Column("bandwidth_mbps"),
        Column("provider"),
        Column("notes"),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        return cameras_of(request, transport_link=obj)


class TransportLinkEditView(ObjectEditView):
    model = TransportLink
    add_label = gettext_lazy("Add a transport link")
    form_class = TransportLinkForm


class TransportLinkDeleteView(ObjectDeleteView):
    model = TransportLink


def cameras_of(request: HttpRequest, **lookup: Any) -> dict[str, Any]:
    cameras = Camera.objects.restrict(request.user, "view").filter(**lookup).order_by("name")
    return {
        "cameras": [(c, camera_status(c)) for c in cameras[:500]],
        "camera_count": cameras.count(),
    }


# -- recorder nodes ----------------------------------------------------------


class RecorderNodeListView(ObjectListView):
    model = RecorderNode
    add_label = gettext_lazy("Add a recorder node")
    filterset = RecorderNodeFilter
    select_related = ("member",)
    columns = (
        Column("name", link=True),
        Column("member"),
        Column("hostname"),
        Column("datacentre"),
        Column("max_cameras"),
        Column("enabled", render=enabled_badge),
    )


class RecorderNodeDetailView(ObjectDetailView):
    model = RecorderNode
    select_related = ("member",)
    template_name = "inventory/recordernode_detail.html"
    fields = (
        Column("member"),
        Column("hostname"),
        Column("datacentre"),
        Column("max_cameras"),
        Column("enabled", render=enabled_badge),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        pools = StoragePool.objects.restrict(request.user, "view").filter(node=obj)
        return {"pools": pools.order_by("name"), **cameras_of(request, recorder_node=obj)}


class RecorderNodeEditView(ObjectEditView):
    model = RecorderNode
    add_label = gettext_lazy("Add a recorder node")
    form_class = RecorderNodeForm


class RecorderNodeDeleteView(ObjectDeleteView):
    model = RecorderNode


# -- storage pools -----------------------------------------------------------


class StoragePoolListView(ObjectListView):
    model = StoragePool
    add_label = gettext_lazy("Add a storage pool")
    filterset = StoragePoolFilter
    select_related = ("member", "node")
    columns = (
        Column("name", link=True),
        Column("member"),
        Column("node"),
        Column("path"),
        Column("capacity_gb"),
        Column("min_free_percent"),
        Column("enabled", render=enabled_badge),
    )


class StoragePoolDetailView(ObjectDetailView):
    model = StoragePool
    select_related = ("member", "node")
    template_name = "inventory/with_cameras_detail.html"
    fields = (
        Column("member"),
        Column("node"),
        Column("path"),
        Column("capacity_gb"),
        Column("min_free_percent"),
        Column("enabled", render=enabled_badge),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        return cameras_of(request, storage_pool=obj)


class StoragePoolEditView(ObjectEditView):
    model = StoragePool
    add_label = gettext_lazy("Add a storage pool")
    form_class = StoragePoolForm


class StoragePoolDeleteView(ObjectDeleteView):
    model = StoragePool

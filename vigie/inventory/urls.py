"""Inventory pages. Names follow ``<model_name>_<verb>`` (see vigie.core.views.object_url)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from vigie.inventory.views import (
    authorisations,
    camera_map,
    cameras,
    imports,
    infrastructure,
    sites,
)


def crud(
    prefix: str, name: str, list_: Any, detail: Any, edit: Any, delete: Any
) -> list[URLPattern]:
    return [
        path(f"{prefix}/", list_.as_view(), name=f"{name}_list"),
        path(f"{prefix}/add/", edit.as_view(), name=f"{name}_add"),
        path(f"{prefix}/<int:pk>/", detail.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/edit/", edit.as_view(), name=f"{name}_edit"),
        path(f"{prefix}/<int:pk>/delete/", delete.as_view(), name=f"{name}_delete"),
    ]


urlpatterns = [
    path("cameras/map/", camera_map.CameraMapView.as_view(), name="camera_map"),
    path("cameras/import/", imports.ImportView.as_view(), name="camera_import"),
    path(
        "cameras/import/<str:token>/",
        imports.ImportPreviewView.as_view(),
        name="camera_import_preview",
    ),
    path(
        "cameras/import/<str:token>/confirm/",
        imports.ImportConfirmView.as_view(),
        name="camera_import_confirm",
    ),
    path(
        "cameras/import/<str:token>/cancel/",
        imports.ImportCancelView.as_view(),
        name="camera_import_cancel",
    ),
    path("cameras/<int:pk>/enable/", cameras.CameraEnableView.as_view(), name="camera_enable"),
    *crud(
        "cameras",
        "camera",
        cameras.CameraListView,
        cameras.CameraDetailView,
        cameras.CameraEditView,
        cameras.CameraDeleteView,
    ),
    *crud(
        "sites",
        "site",
        sites.SiteListView,
        sites.SiteDetailView,
        sites.SiteEditView,
        sites.SiteDeleteView,
    ),
    *crud(
        "authorisations",
        "authorisation",
        authorisations.AuthorisationListView,
        authorisations.AuthorisationDetailView,
        authorisations.AuthorisationEditView,
        authorisations.AuthorisationDeleteView,
    ),
    *crud(
        "links",
        "transportlink",
        infrastructure.TransportLinkListView,
        infrastructure.TransportLinkDetailView,
        infrastructure.TransportLinkEditView,
        infrastructure.TransportLinkDeleteView,
    ),
    *crud(
        "recorders",
        "recordernode",
        infrastructure.RecorderNodeListView,
        infrastructure.RecorderNodeDetailView,
        infrastructure.RecorderNodeEditView,
        infrastructure.RecorderNodeDeleteView,
    ),
    *crud(
        "storage",
        "storagepool",
        infrastructure.StoragePoolListView,
        infrastructure.StoragePoolDetailView,
        infrastructure.StoragePoolEditView,
        infrastructure.StoragePoolDeleteView,
    ),
]

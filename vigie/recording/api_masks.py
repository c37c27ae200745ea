"""API of privacy masks: ``/api/v1/privacy-masks/`` (filter ``?camera=``) and, per
camera, ``/api/v1/cameras/<id>/privacy-masks/``.

A mask is owned by its camera's member; the polygons are validated by the model
(``PrivacyMask.clean``): a 400 names the fault. Every change is journaled by the model.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from vigie.core.api import (
    RestrictedPrimaryKeyRelatedField,
    ServiceModelSerializer,
    VigieModelViewSet,
)
from vigie.core.filters import RestrictedFilterSet
from vigie.inventory.models import Camera
from vigie.recording.filters_holds import CameraFilter
from vigie.recording.models import PrivacyMask


def _cameras(request: Any) -> QuerySet[Camera]:
    return Camera.objects.restrict(getattr(request, "user", None), "view").order_by("name")


class PrivacyMaskFilter(RestrictedFilterSet):
    camera = CameraFilter(field_name="camera", queryset=_cameras, label=_("Camera"))
    enabled = django_filters.BooleanFilter(label=_("Enabled"))

    class Meta:
        model = PrivacyMask
        fields = ["camera", "enabled"]


class PrivacyMaskSerializer(ServiceModelSerializer):
    camera = RestrictedPrimaryKeyRelatedField(queryset=Camera.objects)
    polygons = serializers.JSONField(
        help_text=_("A list of polygons, each a list of at least 3 [x, y] points in 0..1.")
    )

    class Meta:
        model = PrivacyMask
        fields = ["id", "camera", "label", "polygons", "enabled", "version", "updated"]
        read_only_fields = ["version", "updated"]


class PrivacyMaskViewSet(VigieModelViewSet):
    """Privacy masks of cameras: areas (dwellings, their entrances) never shown in live,
    playback nor exports. Coordinates are fractions of the picture (0..1)."""

    model = PrivacyMask
    serializer_class = PrivacyMaskSerializer
    filterset_class = PrivacyMaskFilter
    ordering_fields = ["label", "updated", "id"]

    def optimise(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        camera_pk = self.kwargs.get("camera_pk")
        if camera_pk is not None:
            queryset = queryset.filter(camera_id=camera_pk)
        return queryset.order_by("camera_id", "label", "pk")

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        # Under /cameras/<id>/privacy-masks/ the camera is the URL's (still checked by
        # the restricted field: a camera out of reach is refused).
        camera_pk = self.kwargs.get("camera_pk")
        if camera_pk is not None and isinstance(kwargs.get("data"), dict):
            kwargs["data"] = {**kwargs["data"], "camera": camera_pk}
        return super().get_serializer(*args, **kwargs)

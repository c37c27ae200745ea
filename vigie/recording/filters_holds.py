"""The filter set of legal holds, shared by the web list and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from vigie.core.filters import RestrictedFilterSet
from vigie.inventory.models import Camera
from vigie.recording.models import LegalHold
from vigie.tenancy.filters import MemberSlugFilter


def _cameras(request: Any) -> QuerySet[Camera]:
    return Camera.objects.restrict(getattr(request, "user", None), "view").order_by("name")


@extend_schema_field(OpenApiTypes.INT)
class CameraFilter(django_filters.ModelChoiceFilter):
    """One camera by id, among those the requester may view (another's: invalid, 400)."""


class LegalHoldFilter(RestrictedFilterSet):
    member = MemberSlugFilter("member__slug")
    camera = CameraFilter(field_name="cameras", queryset=_cameras, label=_("Camera"))
    # In force: not released.
    active = django_filters.BooleanFilter(
        field_name="released_at", lookup_expr="isnull", label=_("In force")
    )
    reference = django_filters.CharFilter(lookup_expr="icontains", label=_("Reference"))

    class Meta:
        model = LegalHold
        fields = ["member", "camera", "active", "reference"]

"""Inventory endpoints: declarative viewsets over the restricted querysets and services."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vigie.core.api import VigieModelViewSet
from vigie.inventory import filters, services
from vigie.inventory.api import serializers
from vigie.inventory.api.imports import import_cameras
from vigie.inventory.models import (
    Authorisation,
    Camera,
    RecorderNode,
    Site,
    StoragePool,
    TransportLink,
)
from vigie.tenancy.filters import MemberSlugFilter


def for_api(filterset: type[django_filters.FilterSet]) -> type[django_filters.FilterSet]:
    """The shared filter set, with its member filter typed for the OpenAPI schema."""
    base = filterset.base_filters.get("member")
    attrs: dict[str, Any] = {"__module__": __name__}
    if isinstance(base, django_filters.ModelMultipleChoiceFilter):
        attrs["member"] = MemberSlugFilter(base.field_name, label=base.label)
    return type(filterset.__name__, (filterset,), attrs)


class SiteViewSet(VigieModelViewSet):
    model = Site
    serializer_class = serializers.SiteSerializer
    filterset_class = for_api(filters.SiteFilter)
    ordering_fields = ["name", "city", "id"]

    def optimise(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("member")


class CameraViewSet(VigieModelViewSet):
    model = Camera
    serializer_class = serializers.CameraSerializer
    filterset_class = for_api(filters.CameraFilter)
    ordering_fields = ["name", "ip_address", "status", "retention_days", "updated", "id"]
    action_isolation = {"enable": "change", "disable": "change", "import_file": "add"}

    def grant_actions(self) -> tuple[str, ...]:
        # An import may only update cameras: the import module decides per member and line.
        if self.action == "import_file":
            return ("add", "change")
        return super().grant_actions()

    def optimise(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("member")

    @extend_schema(request=None, responses=serializers.CameraSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        """Enable the camera; refused (400) without a stream URL and a valid authorisation."""
        camera = services.set_enabled(self.get_object(), True)
        return Response(self.get_serializer(camera).data)

    @extend_schema(request=None, responses=serializers.CameraSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str | None = None) -> Response:
        camera = services.set_enabled(self.get_object(), False)
        return Response(self.get_serializer(camera).data)

    @extend_schema(
        request={"multipart/form-data": serializers.ImportRequestSerializer},
        responses={200: serializers.ImportPlanSerializer, 400: serializers.ImportPlanSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        serializer_class=serializers.ImportRequestSerializer,
        filterset_class=None,
        pagination_class=None,
    )
    def import_file(self, request: Request) -> Response:
        """Import a camera inventory (Genetec extract, native or Excel CSV) into a member."""
        return import_cameras(self, request)


class AuthorisationFilter(filters.AuthorisationFilter):
    member = MemberSlugFilter("member__slug")
    expiring = django_filters.BooleanFilter(
        method="by_expiring", label=_("Renewal due (expires within 4 months)")
    )

    class Meta(filters.AuthorisationFilter.Meta):
        fields = [*filters.AuthorisationFilter.Meta.fields, "expiring"]

    def by_expiring(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        due = services.expiring_authorisations(getattr(self.request, "user", None))
        ids = due.values("pk")
        return queryset.filter(pk__in=ids) if value else queryset.exclude(pk__in=ids)


class AuthorisationViewSet(VigieModelViewSet):
    model = Authorisation
    serializer_class = serializers.AuthorisationSerializer
    filterset_class = AuthorisationFilter
    ordering_fields = ["number", "issued_on", "expires_on", "id"]

    def optimise(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("member").prefetch_related("cameras")


class TransportLinkViewSet(VigieModelViewSet):
    model = TransportLink
    serializer_class = serializers.TransportLinkSerializer
    filterset_class = for_api(filters.TransportLinkFilter)
    ordering_fields = ["name", "kind", "id"]

    def optimise(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("member")


class RecorderNodeViewSet(VigieModelViewSet):
    model = RecorderNode
    serializer_class = serializers.RecorderNodeSerializer
    filterset_class = for_api(filters.RecorderNodeFilter)
    ordering_fields = ["name", "id"]

    def optimise(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("member")


class StoragePoolViewSet(VigieModelViewSet):
    model = StoragePool
    serializer_class = serializers.StoragePoolSerializer
    filterset_class = for_api(filters.StoragePoolFilter)
    ordering_fields = ["name", "id"]

    def optimise(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("member")

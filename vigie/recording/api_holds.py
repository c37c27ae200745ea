"""API of legal holds: list, read, place (POST) and release; never edited nor deleted.

Placing and releasing go through ``vigie.recording.holds`` (via the recording
services), which check the cameras, the reach of the person and journal the act.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vigie.core.api import (
    RestrictedPrimaryKeyRelatedField,
    RestrictedSlugRelatedField,
    ServiceModelSerializer,
    VigieModelViewSet,
)
from vigie.inventory.models import Camera
from vigie.recording import services
from vigie.recording.filters_holds import LegalHoldFilter
from vigie.recording.models import LegalHold
from vigie.tenancy.models import Member


class LegalHoldSerializer(ServiceModelSerializer):
    """A hold with the field names of ``vigie hold list --json``."""

    member = RestrictedSlugRelatedField(slug_field="slug", queryset=Member.objects)
    cameras = RestrictedPrimaryKeyRelatedField(
        queryset=Camera.objects, many=True, allow_empty=False
    )
    camera_names = serializers.SerializerMethodField()
    # Usernames; null when a system party (the CLI as root, a job) acted.
    placed_by = serializers.CharField(source="placed_by.username", read_only=True, allow_null=True)
    released_by = serializers.CharField(
        source="released_by.username", read_only=True, allow_null=True
    )
    active = serializers.BooleanField(read_only=True)

    class Meta:
        model = LegalHold
        fields = [
            "id",
            "member",
            "cameras",
            "camera_names",
            "start",
            "end",
            "reason",
            "reference",
            "placed_by",
            "placed_at",
            "active",
            "released_at",
            "released_by",
            "release_reason",
        ]
        read_only_fields = ["placed_at", "released_at", "release_reason"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_camera_names(self, hold: LegalHold) -> list[str]:
        return sorted(c.name for c in hold.cameras.all())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The model's constraint says it too, but only as a general error: name the field.
        start, end = attrs.get("start"), attrs.get("end")
        if start is not None and end is not None and end <= start:
            raise serializers.ValidationError({"end": [_("The end must follow the start.")]})
        return attrs

    def write(self, instance: LegalHold, m2m: dict[str, Any]) -> LegalHold:
        return services.place_hold(
            instance.member,
            m2m.get("cameras", []),
            instance.start,
            instance.end,
            reason=instance.reason,
            reference=instance.reference,
        )


class LegalHoldReleaseSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text=_("Why the hold ends (recorded in the journal).")
    )


class LegalHoldViewSet(VigieModelViewSet):
    """Legal holds: footage of some cameras of one member frozen over a period for a
    judicial procedure. Nothing deletes it until the hold is released. A hold is placed
    (POST) and released (``release/``), never edited nor deleted (405)."""

    model = LegalHold
    serializer_class = LegalHoldSerializer
    filterset_class = LegalHoldFilter
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["placed_at", "start", "end", "reference", "released_at", "id"]
    action_isolation = {"release": "change"}

    def check_permissions(self, request: Request) -> None:
        # A hold is never edited nor deleted, whoever asks: 405 rather than the 403 the
        # grants would give for a "delete" nobody holds (anonymous callers still get 401).
        method = request.method or ""
        if request.user.is_authenticated and method.lower() not in self.http_method_names:
            raise exceptions.MethodNotAllowed(method)
        super().check_permissions(request)

    def optimise(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Holds in force first, then the most recent.
        return (
            queryset.select_related("member", "placed_by", "released_by")
            .prefetch_related("cameras")
            .order_by(F("released_at").desc(nulls_first=True), "-placed_at", "-pk")
        )

    @extend_schema(request=LegalHoldReleaseSerializer, responses=LegalHoldSerializer)
    @action(detail=True, methods=["post"], serializer_class=LegalHoldReleaseSerializer)
    def release(self, request: Request, pk: str | None = None) -> Response:
        """End the hold with a reason; its footage follows normal retention again.
        Releasing a hold already released is a 400."""
        hold = self.get_object()
        form = LegalHoldReleaseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        hold = services.release_hold(hold, form.validated_data["reason"])
        return Response(LegalHoldSerializer(hold, context=self.get_serializer_context()).data)

"""API of the recording: the timeline of a camera (footage metadata, no image)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from vigie.core.api import VigieAPIView, VigieModelViewSet
from vigie.core.filters import RestrictedFilterSet
from vigie.inventory.models import Camera
from vigie.recording import playback
from vigie.recording.models import CameraRecordingState, IngestState

# Metadata only: a month (the longest legal retention) fits in one answer.
TIMELINE_MAX_RANGE = timedelta(days=31)
TIMELINE_DEFAULT = timedelta(hours=24)


class SpanSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class GapSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True)
    cause = serializers.CharField()
    cause_label = serializers.CharField()
    detail = serializers.CharField()


class TimelineSerializer(serializers.Serializer):
    camera = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    first_recorded = serializers.DateTimeField(allow_null=True)
    last_recorded = serializers.DateTimeField(allow_null=True)
    spans = SpanSerializer(many=True)
    gaps = GapSerializer(many=True)


class TimelineView(VigieAPIView):
    """Recorded spans and gaps (with their cause) of a camera between ``start`` and
    ``end`` (ISO 8601; default the last 24 hours, at most 31 days). Needs ``view`` on
    the camera: it shows when footage exists, not the footage."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATETIME, required=False),
            OpenApiParameter("end", OpenApiTypes.DATETIME, required=False),
        ],
        responses=TimelineSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        camera = get_object_or_404(Camera.objects.restrict(request.user, "view"), pk=pk)
        try:
            start, end = self.range(request)
        except playback.RangeError as exc:
            return Response({"detail": str(exc)}, status=400)
        data = playback.timeline(camera, start, end)
        recorded = data["recorded"]
        payload: dict[str, Any] = {
            "camera": camera.pk,
            "start": start,
            "end": end,
            "first_recorded": recorded[0] if recorded else None,
            "last_recorded": recorded[1] if recorded else None,
            "spans": [{"start": a, "end": b} for a, b in data["spans"]],
            "gaps": [
                {
                    "start": g.start,
                    "end": g.end,
                    "cause": g.cause,
                    "cause_label": g.label,
                    "detail": g.detail,
                }
                for g in data["gaps"]
            ],
        }
        return Response(TimelineSerializer(payload).data)

    def range(self, request: Request) -> tuple[Any, Any]:
        raw_start = request.query_params.get("start")
        raw_end = request.query_params.get("end")
        end = playback.parse_instant(raw_end, "end") if raw_end else timezone.now()
        start = playback.parse_instant(raw_start, "start") if raw_start else end - TIMELINE_DEFAULT
        if end <= start:
            raise playback.RangeError(_("The end of the range must come after its start."))
        if end - start > TIMELINE_MAX_RANGE:
            raise playback.RangeError(_("A timeline may not exceed 31 days."))
        return start, end


class RecordingStateSerializer(serializers.ModelSerializer):
    camera_name = serializers.CharField(source="camera.name", read_only=True)
    member = serializers.CharField(source="camera.member.slug", read_only=True)
    node = serializers.CharField(source="node.name", read_only=True, allow_null=True)

    class Meta:
        model = CameraRecordingState
        fields = [
            "id",
            "camera",
            "camera_name",
            "member",
            "node",
            "state",
            "detail",
            "since",
            "last_data_at",
            "restarts",
        ]
        read_only_fields = fields


class RecordingStateFilter(RestrictedFilterSet):
    state = django_filters.MultipleChoiceFilter(choices=IngestState.choices)

    class Meta:
        model = CameraRecordingState
        fields = ["camera", "state"]


class RecordingStateViewSet(VigieModelViewSet):
    """How the recorder sees each camera (recording, reconnecting, stalled, unauthorised,
    disabled, disk full), as written by the recorder; read-only."""

    model = CameraRecordingState
    serializer_class = RecordingStateSerializer
    filterset_class = RecordingStateFilter
    http_method_names = ["get", "head", "options"]
    ordering_fields = ["since", "state", "id"]

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("camera__member", "node").order_by("camera__name")

"""API of the supervision: camera health and its history, availability, storage and
recorder health, the members' supervision policies. Metadata only: nothing here gives
an image (no thumbnail, no snapshot, no stream URL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from vigie.core.api import (
    RestrictedSlugRelatedField,
    ServiceModelSerializer,
    VigieAPIView,
    VigieModelViewSet,
)
from vigie.inventory.models import RecorderNode, StoragePool
from vigie.recording import playback
from vigie.supervision import reports, services
from vigie.supervision.filters import (
    CameraHealthFilter,
    HealthChangeFilter,
    SupervisionPolicyFilter,
)
from vigie.supervision.models import CameraHealth, HealthChange, SupervisionPolicy
from vigie.tenancy.models import Member

HISTORY_ROWS = 100
MAX_RANGE = timedelta(days=400)

HEALTH_FIELDS = [
    "id",
    "camera",
    "camera_name",
    "member",
    "state",
    "since",
    "cause",
    "probed_at",
    "reachable",
    "rtsp_status",
    "latency_ms",
    "probe_error",
    "codec",
    "width",
    "height",
    "fps",
    "recording_state",
    "recorded_codec",
    "recorded_width",
    "recorded_height",
    "recorded_fps",
    "bitrate_kbps",
    "last_keyframe_at",
    "gaps_last_hour",
    "norms_ok",
    "norms_detail",
    "trouble_since",
    "ticket_opened",
]


class HealthChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = HealthChange
        fields = ["id", "camera", "state", "at", "cause"]
        read_only_fields = fields


class CameraHealthSerializer(serializers.ModelSerializer):
    camera_name = serializers.CharField(source="camera.name", read_only=True)
    member = serializers.CharField(source="camera.member.slug", read_only=True)

    class Meta:
        model = CameraHealth
        fields = HEALTH_FIELDS
        read_only_fields = fields


class CameraHealthDetailSerializer(CameraHealthSerializer):
    history = serializers.SerializerMethodField()

    class Meta(CameraHealthSerializer.Meta):
        fields = [*HEALTH_FIELDS, "history"]
        read_only_fields = fields

    def get_history(self, obj: CameraHealth) -> list[dict[str, Any]]:
        rows = HealthChange.objects.unrestricted().filter(camera_id=obj.camera_id)
        latest = rows.order_by("-at", "-pk")[:HISTORY_ROWS]
        return list(HealthChangeSerializer(latest, many=True).data)


class CameraHealthViewSet(VigieModelViewSet):
    """Each camera's health (state, last probe, the recorder's view, norms); the
    detail adds its last 100 state changes. Read-only; written by ``vigie supervise``."""

    model = CameraHealth
    serializer_class = CameraHealthSerializer
    filterset_class = CameraHealthFilter
    http_method_names = ["get", "head", "options"]
    ordering_fields = ["since", "state", "latency_ms", "id"]

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "retrieve":
            return CameraHealthDetailSerializer
        return CameraHealthSerializer

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("camera__member").order_by("camera__name", "pk")


class HealthChangeViewSet(VigieModelViewSet):
    """The state history (read-only)."""

    model = HealthChange
    serializer_class = HealthChangeSerializer
    filterset_class = HealthChangeFilter
    http_method_names = ["get", "head", "options"]

    def optimise(self, queryset: Any) -> Any:
        return queryset.order_by("-at", "-pk")


class SupervisionPolicySerializer(ServiceModelSerializer):
    member = RestrictedSlugRelatedField(slug_field="slug", queryset=Member.objects)

    class Meta:
        model = SupervisionPolicy
        fields = ["id", "member", "ticket_after_minutes", "notes"]


class SupervisionPolicyViewSet(VigieModelViewSet):
    """A member's supervision choices (how long an outage lasts before its ticket)."""

    model = SupervisionPolicy
    serializer_class = SupervisionPolicySerializer
    filterset_class = SupervisionPolicyFilter

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("member").order_by("member__name")


# ---------------------------------------------------------------- availability


def _rate(rate: Any) -> dict[str, Any]:
    return {
        "rate": None if rate.rate is None else round(rate.rate, 6),
        "up_s": round(rate.up_s, 1),
        "existing_s": round(rate.existing_s, 1),
        "outages": rate.outages,
    }


class AvailabilityView(VigieAPIView):
    """Availability rates over ``start``–``end`` (ISO 8601; default the last 30 days)
    of the cameras whose health the user may see: the whole, per member, and per
    camera when ``member`` (a slug) is given."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATETIME, required=False),
            OpenApiParameter("end", OpenApiTypes.DATETIME, required=False),
            OpenApiParameter("member", OpenApiTypes.STR, required=False),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        try:
            end = playback.parse_instant(params["end"], "end") if params.get("end") else None
            end = end or timezone.now()
            start = (
                playback.parse_instant(params["start"], "start")
                if params.get("start")
                else end - timedelta(days=30)
            )
        except playback.RangeError as exc:
            return Response({"detail": str(exc)}, status=400)
        if end <= start or end - start > MAX_RANGE:
            return Response({"detail": _("Give a period of at most 400 days.")}, status=400)
        member = None
        if params.get("member"):
            member = get_object_or_404(
                Member.objects.restrict(request.user, "view"), slug=params["member"]
            )
        report = reports.build(request.user, start, end, member, with_daily=False)
        body: dict[str, Any] = {
            "start": start,
            "end": report.end,
            "total": _rate(report.syndicate),
            "members": [{"member": m.slug, **_rate(r)} for m, r in report.members],
        }
        if member is not None:
            body["cameras"] = [
                {"camera": c.pk, "camera_name": c.name, **_rate(r)} for c, r in report.cameras
            ]
        return Response(body)


class StorageHealthView(VigieAPIView):
    """Free space and write rate of the storage pools, cameras recording per recorder
    node: those the user may see."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        pools = StoragePool.objects.restrict(request.user, "view").order_by("name")
        nodes = RecorderNode.objects.restrict(request.user, "view").order_by("name")
        return Response(
            {
                "pools": [
                    {
                        "id": p.pool.pk,
                        "name": p.pool.name,
                        "total_bytes": p.total_bytes,
                        "free_bytes": p.free_bytes,
                        "free_percent": p.free_percent,
                        "written_last_hour": p.written_last_hour,
                        "write_rate_bps": round(p.write_rate_bps, 1),
                        "error": p.error,
                    }
                    for p in services.pool_health(pools)
                ],
                "nodes": [
                    {
                        "id": n.node.pk,
                        "name": n.node.name,
                        "cameras": n.cameras,
                        "recording": n.recording,
                    }
                    for n in services.node_health(nodes)
                ],
            }
        )

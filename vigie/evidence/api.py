"""API of requisitions: filing (with the ranges held at once), the workflow steps as
actions, ranges, review hours, export jobs (create, cancel, progress, download),
deliveries, the hand-entered yearly figures and the computed statistics.

Requisitions, ranges, exports and deliveries are never deleted (the journal and the
court-deliveries register rest on them); writes go through the evidence services.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vigie.core import actors
from vigie.core.api import (
    RestrictedPrimaryKeyRelatedField,
    RestrictedSlugRelatedField,
    ServiceModelSerializer,
    VigieAPIView,
    VigieModelViewSet,
    requester,
)
from vigie.evidence import exports, services, stats
from vigie.evidence.filters import (
    DeliveryFilter,
    ExportJobFilter,
    RequisitionFilter,
    RequisitionRangeFilter,
    ReviewTimeFilter,
    YearlyStatisticsFilter,
)
from vigie.evidence.models import (
    Delivery,
    ExportJob,
    Requisition,
    RequisitionRange,
    ReviewTime,
    YearlyStatistics,
)
from vigie.evidence.services import RangeSpec
from vigie.evidence.workflow import Status
from vigie.inventory.models import Camera
from vigie.tenancy.models import Member

NO_DELETE = ["get", "post", "patch", "head", "options"]
READ_AND_CREATE = ["get", "post", "head", "options"]


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


@extend_schema_field(OpenApiTypes.INT)
class CameraOfMemberField(serializers.PrimaryKeyRelatedField):
    """A camera by id among those of the members where the requester may file: an
    officer names cameras they cannot browse. The services check it belongs to the
    requisition's member; another member's camera reads as unknown."""

    def get_queryset(self) -> Any:
        actor = actors.as_actor(requester(getattr(self, "context", None)))
        if actor is None:
            return Camera.objects.none()
        cameras = Camera.objects.unrestricted()
        if actor.system:
            return cameras
        members = actor.grants().member_ids("evidence.requisition", "add")
        return cameras if members is None else cameras.filter(member_id__in=members)


class RangeInSerializer(serializers.Serializer):
    camera = CameraOfMemberField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class RequisitionSerializer(ServiceModelSerializer):
    member = RestrictedSlugRelatedField(slug_field="slug", queryset=Member.objects)
    ranges = RangeInSerializer(many=True, write_only=True, required=False)
    late = serializers.BooleanField(read_only=True)
    created_by = serializers.SerializerMethodField()
    holds = serializers.SerializerMethodField()

    class Meta:
        model = Requisition
        fields = [
            "id",
            "member",
            "service",
            "officer_name",
            "officer_id",
            "procedure_number",
            "received_on",
            "deadline",
            "facts",
            "status",
            "outcome",
            "late",
            "ranges",
            "holds",
            "created_by",
            "created",
            "closed_at",
        ]
        read_only_fields = ["status", "outcome", "created", "closed_at"]

    def get_created_by(self, obj: Requisition) -> str | None:
        return _username(obj.created_by)

    def get_holds(self, obj: Requisition) -> list[int]:
        return sorted({r.legal_hold_id for r in obj.ranges.all() if r.legal_hold_id})

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            if "member" in attrs and attrs["member"] != self.instance.member:
                raise serializers.ValidationError(
                    {"member": [_("A requisition stays with its member.")]}
                )
            if "ranges" in attrs:
                raise serializers.ValidationError({"ranges": [_("Add ranges with /ranges/.")]})
        elif not attrs.get("ranges"):
            raise serializers.ValidationError(
                {"ranges": [_("Name at least one camera and period.")]}
            )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Requisition:
        ranges = [
            RangeSpec(r["camera"], r["start"], r["end"]) for r in validated_data.pop("ranges")
        ]
        return services.file_requisition(ranges=ranges, **validated_data)


class RequisitionTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(max_length=2000)


class RequisitionViewSet(VigieModelViewSet):
    """Judicial requisitions. POST files one with its ``ranges`` (camera id, start, end)
    and holds their footage at once; ``transition/`` moves it along the workflow with a
    reason (closing or cancelling releases the holds). Never deleted."""

    model = Requisition
    serializer_class = RequisitionSerializer
    filterset_class = RequisitionFilter
    http_method_names = NO_DELETE
    action_isolation = {"transition": "change"}

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("member", "created_by").prefetch_related("ranges")

    @extend_schema(request=RequisitionTransitionSerializer, responses=RequisitionSerializer)
    @action(detail=True, methods=["post"], serializer_class=RequisitionTransitionSerializer)
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Next step of the workflow (received → under_review → positive/negative …)."""
        requisition = self.get_object()
        form = RequisitionTransitionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        requisition = services.transition(requisition, data["status"], data["reason"])
        context = self.get_serializer_context()
        return Response(RequisitionSerializer(requisition, context=context).data)


class _OfRequisition(ServiceModelSerializer):
    requisition = RestrictedPrimaryKeyRelatedField(queryset=Requisition.objects)


class RequisitionRangeSerializer(_OfRequisition):
    camera = CameraOfMemberField()
    camera_name = serializers.CharField(source="camera.name", read_only=True)

    class Meta:
        model = RequisitionRange
        fields = ["id", "requisition", "camera", "camera_name", "start", "end", "legal_hold"]
        read_only_fields = ["legal_hold"]

    def create(self, validated_data: dict[str, Any]) -> RequisitionRange:
        return services.add_range(
            validated_data["requisition"],
            validated_data["camera"],
            validated_data["start"],
            validated_data["end"],
        )


class RequisitionRangeViewSet(VigieModelViewSet):
    """The cameras and periods a requisition names; adding one holds its footage."""

    model = RequisitionRange
    serializer_class = RequisitionRangeSerializer
    filterset_class = RequisitionRangeFilter
    http_method_names = READ_AND_CREATE

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("camera", "requisition")


class ReviewTimeSerializer(_OfRequisition):
    operator = serializers.SerializerMethodField()

    class Meta:
        model = ReviewTime
        fields = ["id", "requisition", "operator", "date", "hours", "notes"]

    def get_operator(self, obj: ReviewTime) -> str | None:
        return _username(obj.operator)

    def create(self, validated_data: dict[str, Any]) -> ReviewTime:
        return services.log_review_time(
            validated_data["requisition"],
            hours=validated_data["hours"],
            on=validated_data.get("date"),
            notes=validated_data.get("notes", ""),
        )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current = self.instance
        moved = current is not None and "requisition" in attrs
        if moved and attrs["requisition"] != getattr(current, "requisition", None):
            raise serializers.ValidationError(
                {"requisition": [_("Hours stay with their requisition.")]}
            )
        return attrs


class ReviewTimeViewSet(VigieModelViewSet):
    """Hours spent reviewing footage for a requisition, per operator and day."""

    model = ReviewTime
    serializer_class = ReviewTimeSerializer
    filterset_class = ReviewTimeFilter

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("operator", "requisition")


class ExportJobSerializer(_OfRequisition):
    requested_by = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "requisition",
            "status",
            "progress",
            "message",
            "reason",
            "make_iso",
            "cancel_requested",
            "manifest_sha256",
            "partial",
            "notes",
            "error",
            "requested_by",
            "created",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [f for f in fields if f not in ("requisition", "reason", "make_iso")]
        extra_kwargs = {"reason": {"required": True, "allow_blank": False}}

    def get_requested_by(self, obj: ExportJob) -> str | None:
        return _username(obj.requested_by)

    def create(self, validated_data: dict[str, Any]) -> ExportJob:
        return exports.start_export(
            validated_data["requisition"],
            requester(self.context),
            make_iso=validated_data.get("make_iso", False),
            reason=validated_data["reason"],
        )


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    progress = serializers.FloatField()
    message = serializers.CharField()
    finished = serializers.BooleanField()


class ExportJobViewSet(VigieModelViewSet):
    """Evidence packages made in the background. POST (``requisition``, ``reason``,
    ``make_iso``) queues one (needs the ``export`` image action on every camera);
    ``cancel/`` stops it; ``progress/`` is the small answer to poll; ``download/``
    gives the zip (journaled)."""

    model = ExportJob
    serializer_class = ExportJobSerializer
    filterset_class = ExportJobFilter
    http_method_names = READ_AND_CREATE
    action_isolation = {"cancel": "change", "download": "view"}

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("requisition", "requested_by")

    @extend_schema(request=CancelSerializer, responses=ExportJobSerializer)
    @action(detail=True, methods=["post"], serializer_class=CancelSerializer)
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        form = CancelSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        job = exports.cancel_export(self.get_object(), form.validated_data.get("reason", ""))
        return Response(ExportJobSerializer(job, context=self.get_serializer_context()).data)

    @extend_schema(responses=ProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, pk: str | None = None) -> Response:
        job = self.get_object()
        return Response(
            {
                "id": job.pk,
                "status": job.status,
                "progress": job.progress,
                "message": job.message,
                "finished": job.finished,
            }
        )

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> Any:
        from vigie.evidence.views import zip_response

        try:
            delivered = exports.package_for_download(self.get_object(), request.user)
        except ValidationError as exc:
            raise exceptions.NotFound(" ".join(exc.messages)) from exc
        return zip_response(delivered)


class DeliverySerializer(_OfRequisition):
    export_job = RestrictedPrimaryKeyRelatedField(
        queryset=ExportJob.objects, required=False, allow_null=True
    )
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "id",
            "requisition",
            "export_job",
            "delivered_at",
            "officer_name",
            "medium_reference",
            "package_sha256",
            "notes",
            "recorded_by",
        ]

    def get_recorded_by(self, obj: Delivery) -> str | None:
        return _username(obj.recorded_by)

    def create(self, validated_data: dict[str, Any]) -> Delivery:
        return services.record_delivery(**validated_data)


class DeliveryViewSet(VigieModelViewSet):
    """What was handed to the officer or the court (the court-deliveries register).
    Recording one marks an exported requisition delivered. Never changed nor deleted."""

    model = Delivery
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    http_method_names = READ_AND_CREATE

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("requisition", "recorded_by")


class YearlyStatisticsSerializer(ServiceModelSerializer):
    member = RestrictedSlugRelatedField(
        slug_field="slug", queryset=Member.objects, required=False, allow_null=True
    )

    class Meta:
        model = YearlyStatistics
        fields = ["id", "member", "year", *stats.FIELDS, "notes"]


class YearlyStatisticsViewSet(VigieModelViewSet):
    """Figures of past years entered by hand (member empty: the whole syndicate)."""

    model = YearlyStatistics
    serializer_class = YearlyStatisticsSerializer
    filterset_class = YearlyStatisticsFilter

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("member")


class StatisticsView(VigieAPIView):
    """The yearly table: one row per member and year, and the syndicate's per year
    (``member`` null), from the records merged with the hand-entered figures;
    ``sources`` says for each figure whether it comes from the records or by hand."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, required=False),
            OpenApiParameter("member", OpenApiTypes.STR, required=False),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        try:
            table = stats.Table.for_request(request.user, request.query_params)
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=400)
        if table is None:
            return Response({"detail": str(_("Your roles do not show statistics."))}, status=403)
        return Response({"results": table.json()})

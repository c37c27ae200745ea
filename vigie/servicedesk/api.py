"""API of the service desk: tickets (and their actions), comments, history,
notifications, contractors, member settings and monthly reports.

Every write goes through `vigie.servicedesk.services`. Tickets are never deleted
(cancelled instead); comments and history are never edited.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vigie.core.api import (
    ActorMixin,
    RestrictedPrimaryKeyRelatedField,
    RestrictedSlugRelatedField,
    ServiceModelSerializer,
    VigieAPIView,
    VigieModelViewSet,
    VigiePagination,
    requester,
)
from vigie.core.views import members_allowed
from vigie.inventory.models import Camera
from vigie.servicedesk import reports, services
from vigie.servicedesk.filters import TicketFilter
from vigie.servicedesk.models import (
    Contractor,
    DeskSettings,
    Impact,
    Notification,
    Status,
    Ticket,
    TicketComment,
    TicketStatusChange,
    Urgency,
)
from vigie.tenancy.models import Member, User

EDITABLE = services.EDITABLE


def visible_comments(queryset: QuerySet[Any], who: Any) -> QuerySet[Any]:
    """Internal notes only for those who work the ticket (may change it)."""
    desk = Ticket.objects.restrict(who, "change").values("pk")
    return queryset.filter(Q(internal=False) | Q(ticket__in=desk))


class TicketSerializer(ServiceModelSerializer):
    member = RestrictedSlugRelatedField(slug_field="slug", queryset=Member.objects)
    camera = RestrictedPrimaryKeyRelatedField(
        queryset=Camera.objects, required=False, allow_null=True
    )
    reference = serializers.CharField(read_only=True)
    reporter = serializers.CharField(source="reporter.username", read_only=True, allow_null=True)
    assignee = serializers.CharField(source="assignee.username", read_only=True, allow_null=True)
    contractor: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "member",
            "kind",
            "category",
            "title",
            "description",
            "camera",
            "reporter",
            "reporter_name",
            "impact",
            "urgency",
            "priority",
            "qualified",
            "status",
            "assignee",
            "contractor",
            "automatic",
            "source_key",
            "opened_at",
            "paused_since",
            "intervention_due",
            "resolution_due",
            "appointment",
            "first_response_at",
            "intervened_at",
            "resolved_at",
            "closed_at",
            "intervention_breached",
            "resolution_breached",
            "escalation_level",
        ]
        read_only_fields = [
            f for f in fields if f not in (*EDITABLE, "member", "impact", "urgency")
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        camera, member = attrs.get("camera"), attrs.get("member")
        if self.instance is not None:
            member = self.instance.member
            if "member" in attrs and attrs["member"] != member:
                raise serializers.ValidationError(
                    {"member": [_("A ticket stays with its member.")]}
                )
        if camera is not None and member is not None and camera.member_id != member.pk:
            raise serializers.ValidationError(
                {"camera": [_("This camera belongs to another member.")]}
            )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Ticket:
        member = validated_data.pop("member")
        who = requester(self.context)
        allowed = members_allowed(who, Ticket, "change")
        return services.open_ticket(
            member,
            qualified=allowed is None or member.pk in allowed,
            **validated_data,
        )

    def update(self, instance: Ticket, validated_data: dict[str, Any]) -> Ticket:
        validated_data.pop("member", None)
        impact = validated_data.pop("impact", instance.impact)
        urgency = validated_data.pop("urgency", instance.urgency)
        ticket = services.edit(instance, **validated_data)
        if (impact, urgency) != (ticket.impact, ticket.urgency):
            ticket = services.qualify(ticket, impact, urgency)
        return ticket


class TicketAssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    contractor = serializers.PrimaryKeyRelatedField(
        queryset=Contractor.objects.filter(active=True), required=False, allow_null=True
    )


class TicketTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TicketQualifySerializer(serializers.Serializer):
    impact = serializers.ChoiceField(choices=Impact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    appointment = serializers.DateTimeField(required=False, allow_null=True)


class CommentSerializer(serializers.ModelSerializer):
    ticket = RestrictedPrimaryKeyRelatedField(queryset=Ticket.objects)
    author = serializers.CharField(source="author.username", read_only=True, allow_null=True)

    class Meta:
        model = TicketComment
        fields = ["id", "ticket", "author", "author_name", "text", "internal", "created"]
        read_only_fields = ["author_name", "created"]

    def create(self, validated_data: dict[str, Any]) -> TicketComment:
        return services.comment(
            validated_data["ticket"],
            validated_data["text"],
            internal=validated_data.get("internal", False),
        )


class TicketCommentBodySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000)
    internal = serializers.BooleanField(required=False, default=False)


class StatusChangeSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", read_only=True, allow_null=True)

    class Meta:
        model = TicketStatusChange
        fields = ["id", "ticket", "from_status", "to_status", "at", "by", "by_name", "note"]
        read_only_fields = fields


class TicketViewSet(VigieModelViewSet):
    """Tickets of the members one may see. POST opens one (a member's users propose
    impact and urgency; the desk's are confirmed at once); PATCH edits its text and
    qualifies it; actions assign, move along the statuses, comment. Never deleted."""

    model = Ticket
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["opened_at", "priority", "resolution_due", "id"]
    action_isolation = {
        "assign": "change",
        "transition": "change",
        "qualify": "change",
        "comment": "view",
        "comments": "view",
        "history": "view",
    }

    def optimise(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("member", "reporter", "assignee", "contractor")

    def _answer(self, ticket: Ticket) -> Response:
        fresh = self.get_queryset().get(pk=ticket.pk)
        return Response(TicketSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=TicketAssignSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], serializer_class=TicketAssignSerializer)
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Give the ticket to a technician (username) or a contractor (id); neither:
        unassign."""
        ticket = self.get_object()
        form = TicketAssignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = None
        name = form.validated_data.get("assignee")
        if name:
            user = User.objects.filter(username=name, is_active=True).first()
            if user is None:
                raise serializers.ValidationError({"assignee": [_("Unknown person.")]})
        contractor = form.validated_data.get("contractor")
        return self._answer(services.assign(ticket, user=user, contractor=contractor))

    @extend_schema(request=TicketTransitionSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], serializer_class=TicketTransitionSerializer)
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the ticket to another status (refused with 400 if not allowed)."""
        ticket = self.get_object()
        form = TicketTransitionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        return self._answer(services.change_status(ticket, data["status"], note=data["note"]))

    @extend_schema(request=TicketQualifySerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], serializer_class=TicketQualifySerializer)
    def qualify(self, request: Request, pk: str | None = None) -> Response:
        """The desk confirms impact and urgency: priority and deadlines follow."""
        ticket = self.get_object()
        form = TicketQualifySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        ticket = services.qualify(
            ticket,
            int(data["impact"]),
            int(data["urgency"]),
            appointment=data.get("appointment"),
        )
        return self._answer(ticket)

    @extend_schema(request=TicketCommentBodySerializer, responses=CommentSerializer)
    @action(detail=True, methods=["post"], serializer_class=TicketCommentBodySerializer)
    def comment(self, request: Request, pk: str | None = None) -> Response:
        """Comment on the ticket (``internal``: a desk-only note)."""
        ticket = self.get_object()
        form = TicketCommentBodySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        note = services.comment(ticket, data["text"], internal=data["internal"])
        return Response(CommentSerializer(note).data, status=201)

    @extend_schema(responses=CommentSerializer(many=True))
    @action(detail=True, methods=["get"])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        rows = visible_comments(TicketComment.objects.restrict(request.user, "view"), request.user)
        return Response(CommentSerializer(rows.filter(ticket=ticket), many=True).data)

    @extend_schema(responses=StatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        rows = TicketStatusChange.objects.restrict(request.user, "view").filter(ticket=ticket)
        return Response(StatusChangeSerializer(rows.select_related("by"), many=True).data)


class CommentViewSet(VigieModelViewSet):
    """Comments on tickets; a member's users never see the desk's internal notes.
    Comments are added, never edited nor deleted."""

    model = TicketComment
    serializer_class = CommentSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        rows = super().get_queryset().select_related("author")
        return visible_comments(rows, self.request.user).order_by("created", "pk")


class StatusChangeViewSet(ActorMixin, viewsets.ReadOnlyModelViewSet):
    """The status history of the tickets one may see (the SLA pauses come from it)."""

    serializer_class = StatusChangeSerializer
    pagination_class = VigiePagination
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[Any]:
        rows = TicketStatusChange.objects.restrict(self.request.user, "view")
        ticket = self.request.query_params.get("ticket", "")
        if ticket.isdigit():
            rows = rows.filter(ticket_id=int(ticket))
        return rows.select_related("by").order_by("at", "pk")


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "text", "link", "ticket", "read", "created"]
        read_only_fields = fields


class NotificationReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False)


class NotificationViewSet(ActorMixin, viewsets.ReadOnlyModelViewSet):
    """My notifications (only mine); ``read/`` marks some or all of them read."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = VigiePagination
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[Any]:
        rows = Notification.objects.filter(user_id=self.request.user.pk or 0)
        unread = self.request.query_params.get("unread", "")
        if unread.lower() in ("1", "true"):
            rows = rows.filter(read=False)
        return rows.order_by("-created", "-pk")

    @extend_schema(request=NotificationReadSerializer, responses={200: dict})
    @action(detail=False, methods=["post"], serializer_class=NotificationReadSerializer)
    def read(self, request: Request) -> Response:
        """Mark the given ids (or, without ``ids``, all of mine) read."""
        form = NotificationReadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        marked = services.mark_read(request.user, form.validated_data.get("ids"))
        return Response({"marked": marked, "unread": services.unread_count(request.user)})


class ContractorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contractor
        fields = ["id", "name", "level", "email", "phone", "active"]


class ContractorViewSet(ActorMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The syndicate's contractors (levels 2 and 3). Only a syndicate-wide
    administrator adds them."""

    serializer_class = ContractorSerializer
    pagination_class = VigiePagination
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Contractor.objects.none()
        if not members_allowed(self.request.user, Contractor, "view") and not self._all("view"):
            raise exceptions.PermissionDenied()
        return Contractor.objects.order_by("level", "name")

    def _all(self, action_name: str) -> bool:
        return members_allowed(self.request.user, Contractor, action_name) is None

    def perform_create(self, serializer: Any) -> None:
        if not self._all("add"):
            raise exceptions.PermissionDenied()
        serializer.instance = services.save_contractor(Contractor(**serializer.validated_data))


class DeskSettingsSerializer(ServiceModelSerializer):
    member = RestrictedSlugRelatedField(slug_field="slug", queryset=Member.objects)

    class Meta:
        model = DeskSettings
        fields = ["id", "member", "auto_resolve", "automatic_impact", "automatic_urgency"]


class DeskSettingsViewSet(VigieModelViewSet):
    """Each member's choices for its automatic tickets (resolve on recovery, impact,
    urgency)."""

    model = DeskSettings
    serializer_class = DeskSettingsSerializer

    def optimise(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("member").order_by("member__name")


class ReportView(VigieAPIView):
    """The monthly activity report: per member (``member``) or over every member one
    sees; ``output=csv`` for CSV."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("month", str, description="YYYY-MM (default: this month)"),
            OpenApiParameter("member", str, description="member slug"),
            OpenApiParameter("output", str, enum=["json", "csv"]),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Any:
        if not members_allowed(request.user, Ticket, "view") and not _sees_all(request.user):
            raise exceptions.PermissionDenied()
        try:
            default = f"{timezone.localdate():%Y-%m}"  # this month
            month = reports.parse_month(request.query_params.get("month") or default)
        except ValueError as exc:
            raise serializers.ValidationError({"month": [str(exc)]}) from exc
        tickets = Ticket.objects.restrict(request.user, "view")
        member = None
        slug = request.query_params.get("member")
        if slug:
            member = Member.objects.restrict(request.user, "view").filter(slug=slug).first()
            if member is None:
                raise exceptions.NotFound()
        report = reports.monthly_report(tickets, month, member)
        if request.query_params.get("output") == "csv":
            response = HttpResponse(reports.to_csv([report]), content_type="text/csv")
            name = f"servicedesk-{month:%Y-%m}-{slug or 'all'}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return Response(report.as_dict())


def _sees_all(user: Any) -> bool:
    return members_allowed(user, Ticket, "view") is None

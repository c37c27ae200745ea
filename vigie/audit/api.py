"""API of the audit app: the registers, the journal register and the requests from persons.

- ``GET registers/<member>/<kind>/?from=&to=`` (kind: recordings, holds, deliveries): the
  register's tables as JSON, journaled like the page (``audit.register_viewed``).
- ``GET registers/journal/?member=&actor=&camera=&action=&from=&to=&before=&limit=``:
  one page of the journal, newest first, and ``next`` (a keyset on the entry id).
- ``subject-requests/``: list, read, create, change (PATCH), ``transition/`` and
  ``extend/``; never deleted (405).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from vigie.audit import registers
from vigie.audit.filters import JournalFilterForm, PeriodForm, SubjectRequestFilter
from vigie.audit.models import SubjectRequest, SubjectRequestStatus
from vigie.audit.services import journal
from vigie.audit.subject_requests import (
    allowed_transitions,
    extend_deadline,
    save_request,
    transition,
)
from vigie.core.api import (
    RestrictedPrimaryKeyRelatedField,
    RestrictedSlugRelatedField,
    ServiceModelSerializer,
    VigieAPIView,
    VigieModelViewSet,
)
from vigie.inventory.models import Camera
from vigie.tenancy.models import Member

# ---------------------------------------------------------------- registers


class RegisterView(VigieAPIView):
    """One register of one member over a period (whole days, Europe/Paris)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="first day (default: a year ago)"
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description="last day (default: today)"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request, member: str, kind: str) -> Response:
        if kind not in registers.KINDS:
            raise Http404
        if not registers.may_see_registers(request.user):
            raise exceptions.PermissionDenied(_("Your roles do not let you see the registers."))
        owner = registers.member_for_register(request.user, member)
        form = PeriodForm(request.query_params if request.query_params else None)
        if form.is_bound and not form.is_valid():
            raise exceptions.ValidationError(
                {
                    ("from" if k == "start" else "to"): [str(m) for m in v]
                    for k, v in form.errors.items()
                }
            )
        register = registers.build_register(request.user, kind, owner, form.period())
        journal(
            "audit.register_viewed",
            objects=[owner],
            member_id=owner.pk,
            details={"register": kind, "format": "json", **register.period.as_dict()},
        )
        return Response(register.as_json())


class JournalRegisterView(VigieAPIView):
    """One page of the journal, newest first; follow ``next`` for older entries."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("member", OpenApiTypes.STR, description="member slug"),
            OpenApiParameter("actor", OpenApiTypes.STR, description="exact actor name"),
            OpenApiParameter("camera", OpenApiTypes.INT, description="camera id"),
            OpenApiParameter("action", OpenApiTypes.STR, description="action or its prefix"),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("before", OpenApiTypes.INT, description="entries below this id"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="at most 500"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        if not registers.may_see_journal(request.user):
            raise exceptions.PermissionDenied(_("Your roles do not let you read the journal."))
        params = request.query_params
        form = JournalFilterForm(params if params else None, user=request.user)
        if form.is_bound and not form.is_valid():
            raise exceptions.ValidationError(
                {k: [str(m) for m in v] for k, v in form.errors.items()}
            )
        before = _positive(params.get("before"), "before")
        limit = min(_positive(params.get("limit"), "limit") or 100, registers.JOURNAL_MAX_PAGE)
        query = form.query()
        page = registers.journal_page(registers.journal_entries(request.user, query), before, limit)
        journal(
            "audit.register_viewed",
            member_id=query.members[0] if query.members else None,
            details={
                "register": "journal",
                "format": "json",
                "filters": form.filters(),
                "before": before,
            },
        )
        next_url = None
        if page.next_before is not None:
            rest = params.copy()
            rest["before"] = str(page.next_before)
            next_url = request.build_absolute_uri(request.path) + "?" + rest.urlencode()
        return Response({"next": next_url, "results": registers.journal_rows(page.entries)})


def _positive(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value or "")
    except ValueError:
        number = 0
    if number <= 0:
        raise exceptions.ValidationError({name: [_("A positive whole number.")]})
    return number


# ---------------------------------------------------------------- requests from persons


class SubjectRequestSerializer(ServiceModelSerializer):
    member = RestrictedSlugRelatedField(slug_field="slug", queryset=Member.objects)
    cameras = RestrictedPrimaryKeyRelatedField(queryset=Camera.objects, many=True, required=False)
    reference = serializers.CharField(read_only=True)
    late = serializers.SerializerMethodField()
    extended = serializers.BooleanField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = SubjectRequest
        fields = [
            "id",
            "reference",
            "member",
            "kind",
            "received_on",
            "requester_name",
            "requester_contact",
            "identity_reference",
            "place",
            "window_start",
            "window_end",
            "cameras",
            "status",
            "deadline",
            "extended",
            "extension_reason",
            "late",
            "footage_destroyed_on",
            "hold",
            "answered_on",
            "answer",
            "refusal_ground",
            "extra_polygons",
            "notes",
            "allowed_transitions",
            "closed_at",
            "created",
            "updated",
        ]
        read_only_fields = [
            "status",
            "deadline",
            "extension_reason",
            "footage_destroyed_on",
            "hold",
            "answered_on",
            "answer",
            "refusal_ground",
            "closed_at",
            "created",
            "updated",
        ]

    def get_late(self, obj: SubjectRequest) -> bool:
        return obj.is_late()

    def get_allowed_transitions(self, obj: SubjectRequest) -> list[str]:
        return allowed_transitions(obj)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("window_start", getattr(self.instance, "window_start", None))
        end = attrs.get("window_end", getattr(self.instance, "window_end", None))
        if start is not None and end is not None and end <= start:
            raise serializers.ValidationError({"window_end": [_("The end must follow the start.")]})
        member = attrs.get("member", getattr(self.instance, "member", None))
        if self.instance is not None and "member" in attrs and member != self.instance.member:
            raise serializers.ValidationError({"member": [_("A request stays with its member.")]})
        return attrs

    def write(self, instance: SubjectRequest, m2m: dict[str, Any]) -> SubjectRequest:
        return save_request(instance, cameras=m2m.get("cameras"))


class SubjectRequestTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SubjectRequestStatus.choices)
    text = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    ground = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    on = serializers.DateField(required=False, allow_null=True)


class SubjectRequestExtensionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class SubjectRequestViewSet(VigieModelViewSet):
    """Requests from filmed persons, tracked to their answer (deadline: one month,
    extendable by two with a reason). Never deleted (405)."""

    model = SubjectRequest
    serializer_class = SubjectRequestSerializer
    filterset_class = SubjectRequestFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["deadline", "received_on", "status", "id"]
    action_isolation = {"transition": "change", "extend": "change"}

    def check_permissions(self, request: Request) -> None:
        method = request.method or ""
        if request.user.is_authenticated and method.lower() not in self.http_method_names:
            raise exceptions.MethodNotAllowed(method)
        super().check_permissions(request)

    def optimise(self, queryset: Any) -> Any:
        return (
            queryset.select_related("member").prefetch_related("cameras").order_by("deadline", "pk")
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        obj = SubjectRequest.objects.unrestricted().get(pk=response.data["id"])
        journal("audit.subjectrequest.view", objects=[obj], member_id=obj.member_id)
        return response

    def _answer(self, obj: SubjectRequest) -> Response:
        obj = SubjectRequest.objects.unrestricted().get(pk=obj.pk)
        return Response(SubjectRequestSerializer(obj, context=self.get_serializer_context()).data)

    @extend_schema(request=SubjectRequestTransitionSerializer, responses=SubjectRequestSerializer)
    @action(detail=True, methods=["post"], serializer_class=SubjectRequestTransitionSerializer)
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the request on (``status``); ``text`` answers, ``ground`` refuses."""
        obj = self.get_object()
        form = SubjectRequestTransitionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        transition(
            obj,
            data["status"],
            text=data.get("text", ""),
            ground=data.get("ground", ""),
            on=data.get("on"),
        )
        return self._answer(obj)

    @extend_schema(request=SubjectRequestExtensionSerializer, responses=SubjectRequestSerializer)
    @action(detail=True, methods=["post"], serializer_class=SubjectRequestExtensionSerializer)
    def extend(self, request: Request, pk: str | None = None) -> Response:
        """Two more months, once, with a reason, within the first month."""
        obj = self.get_object()
        form = SubjectRequestExtensionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        extend_deadline(obj, form.validated_data["reason"])
        return self._answer(obj)

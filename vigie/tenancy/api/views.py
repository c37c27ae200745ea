"""Tenancy endpoints: members, people (with their roles), the current user, API tokens."""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from vigie.audit.services import journal
from vigie.core import actors, throttle
from vigie.core.api import VigieAPIView, VigieModelViewSet, VigieVersioning
from vigie.core.middleware import client_address
from vigie.tenancy import services
from vigie.tenancy.api.serializers import (
    MemberSerializer,
    RoleAssignmentSerializer,
    UserProfileSerializer,
    UserSerializer,
)
from vigie.tenancy.filters import MemberFilter, UserFilter
from vigie.tenancy.models import Member, RoleAssignment, User


class MemberViewSet(VigieModelViewSet):
    model = Member
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    ordering_fields = ["name", "slug", "population", "id"]

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("syndicate")


class UserViewSet(VigieModelViewSet):
    """People. Listed through ``User.objects.restrict()``: the default manager is
    unrestricted because login must find a person before anyone acts.

    ``PATCH`` changes the profile only; ``DELETE`` deactivates the person (never deletes
    them: the journal refers to them) and deletes their API token. Every change goes
    through ``tenancy.services``, which checks the caller may manage the person in every
    member their roles reach (403 otherwise).
    """

    model = User
    serializer_class = UserSerializer
    filterset_class = UserFilter
    ordering_fields = ["username", "last_name", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_isolation = {"reactivate": "change", "remove_role": "change"}

    def isolation_action(self) -> str:
        # Adding a role changes the person; a plain POST would ask for "add".
        if self.action == "roles" and self.request.method == "POST":
            return "change"
        return super().isolation_action()

    def get_serializer_class(self) -> Any:
        if self.action == "partial_update":
            return UserProfileSerializer
        return super().get_serializer_class()

    def optimise(self, queryset: Any) -> Any:
        return queryset.prefetch_related("role_assignments__members")

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Deactivate the person: they can no longer log in, their API token is deleted."""
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: Any) -> None:
        services.deactivate_user(instance)

    @extend_schema(request=None, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str | None = None) -> Response:
        """Let a deactivated person log in again."""
        user = services.reactivate_user(self.get_object())
        return Response(self.get_serializer(user).data)

    @extend_schema(methods=["GET"], responses=RoleAssignmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=RoleAssignmentSerializer,
        responses={201: RoleAssignmentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        serializer_class=RoleAssignmentSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def roles(self, request: Request, pk: str | None = None) -> Response:
        """The person's roles with their ids; POST gives one more role."""
        user = self.get_object()
        if request.method != "POST":
            assignments = RoleAssignment.objects.filter(user=user).prefetch_related("members")
            return Response(self.get_serializer(assignments.order_by("pk"), many=True).data)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assignment = services.add_role(
            user, data["role"], data.get("members", []), all_members=data["all_members"]
        )
        return Response(self.get_serializer(assignment).data, status=201)

    @extend_schema(
        request=None,
        responses={204: None},
        parameters=[OpenApiParameter("assignment_id", int, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"roles/(?P<assignment_id>[0-9]{1,18})",
        filter_backends=[],
    )
    def remove_role(
        self, request: Request, pk: str | None = None, assignment_id: str | None = None
    ) -> Response:
        """Remove one of the person's roles (not one's own last administrator role)."""
        user = self.get_object()
        assignment = get_object_or_404(RoleAssignment.objects.filter(user=user), pk=assignment_id)
        services.revoke_role(assignment)
        return Response(status=204)


class MeView(VigieAPIView):
    """The person behind this request, with their roles and members."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=UserSerializer)
    def get(self, request: Request) -> Response:
        queryset = User.objects.prefetch_related("role_assignments__members")
        user = queryset.get(pk=cast(User, request.user).pk)
        return Response(UserSerializer(user, context={"request": request}).data)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for the person's API token (sent as
    ``Authorization: Token <key>``). The same token is returned until it is revoked."""

    authentication_classes = ()
    versioning_class = VigieVersioning

    @extend_schema(request=AuthTokenSerializer, responses=TokenSerializer)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        username = str(data.get("username", ""))
        address = client_address(request)
        if throttle.blocked(username, address):
            return Response(
                {"detail": _("Too many failed attempts: try again in a quarter of an hour.")},
                status=429,
            )
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            throttle.failed(username, address)
            serializer.is_valid(raise_exception=True)
        throttle.succeeded(username, address)
        user = serializer.validated_data["user"]
        token, created = Token.objects.get_or_create(user=user)
        with actors.acting_as(user):
            journal(
                "tenancy.user.token",
                objects=[user],
                details={"created": created, "source": "api"},
            )
        return Response({"token": token.key})

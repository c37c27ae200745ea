"""Tenancy endpoints: members, people (with their roles), the current user, API tokens."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response

from vigie.audit.services import journal
from vigie.core import actors
from vigie.core.api import VigieAPIView, VigieModelViewSet, VigieVersioning
from vigie.tenancy.api.serializers import MemberSerializer, UserSerializer
from vigie.tenancy.filters import MemberFilter, UserFilter
from vigie.tenancy.models import Member, User


class MemberViewSet(VigieModelViewSet):
    model = Member
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    ordering_fields = ["name", "slug", "population", "id"]

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("syndicate")


class UserViewSet(VigieModelViewSet):
    """People. Listed through ``User.objects.restrict()``: the default manager is
    unrestricted because login must find a person before anyone acts."""

    model = User
    serializer_class = UserSerializer
    filterset_class = UserFilter
    ordering_fields = ["username", "last_name", "id"]
    # Changing or removing people goes through the web UI (roles need a review there).
    http_method_names = ["get", "post", "head", "options"]

    def optimise(self, queryset: Any) -> Any:
        return queryset.prefetch_related("role_assignments__members")


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
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, created = Token.objects.get_or_create(user=user)
        with actors.acting_as(user):
            journal(
                "tenancy.user.token",
                objects=[user],
                details={"created": created, "source": "api"},
            )
        return Response({"token": token.key})

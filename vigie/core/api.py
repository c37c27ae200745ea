"""What every API endpoint shares: the actor, isolation, service writes, JSON errors.

The Django middleware sees token-authenticated requests as anonymous, so the API sets
the acting party itself, right after DRF authenticates, for the whole handling of the
request, and restores the previous one afterwards. Querysets come from
``Model.objects.restrict(user, action)`` with the action taken from the HTTP method;
writes go through the services, whose model checks surface here as 400/403 JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from typing import Any, ClassVar, cast

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, models
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import (
    exceptions,
    pagination,
    permissions,
    relations,
    serializers,
    versioning,
    viewsets,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from vigie.core import actors
from vigie.core import services as core_services
from vigie.core.middleware import request_actor

logger = logging.getLogger(__name__)

# The isolation action each HTTP method asks for.
METHOD_ACTIONS: dict[str, str] = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}
NON_FIELD_KEY = "non_field_errors"


def action_for_method(method: str | None) -> str:
    return METHOD_ACTIONS.get((method or "GET").upper(), "view")


def requester(context: Mapping[str, Any] | None = None) -> Any:
    """The party a serializer works for: the request's user, else the current actor (CLI)."""
    request = (context or {}).get("request")
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return actors.current()


# --------------------------------------------------------------------------- errors


def _django_error_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD_KEY if key == "__all__" else key): [str(m) for m in messages]
            for key, messages in exc.message_dict.items()
        }
    return {NON_FIELD_KEY: [str(m) for m in exc.messages]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the errors the model layer raises on any write path."""
    if isinstance(exc, DjangoValidationError):
        return Response(_django_error_dict(exc), status=400)
    if isinstance(exc, PermissionDenied) and not isinstance(exc, exceptions.APIException):
        detail = str(exc) or str(exceptions.PermissionDenied.default_detail)
        return Response({"detail": detail}, status=403)
    if isinstance(exc, IntegrityError):
        # A uniqueness rule the restricted pre-checks could not see (e.g. a name unique
        # across members): the transaction was rolled back, nothing was written.
        logger.info("API write refused by the database: %s", exc)
        return Response({"detail": str(_("This conflicts with an existing record."))}, status=400)
    if isinstance(exc, DataError):
        logger.info("API input refused by the database: %s", exc)
        return Response({"detail": str(_("A value is out of range or malformed."))}, status=400)
    return drf_exception_handler(exc, context)


def not_found(request: Any, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/ answer JSON too, like every other API error."""
    return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=404)


# --------------------------------------------------------------------------- versioning


class VigieVersioning(versioning.NamespaceVersioning):
    """The version is the URL namespace ("v1"); the default lets the schema command run
    without ``--api-version``."""

    default_version = "v1"
    allowed_versions = ("v1",)


# --------------------------------------------------------------------------- actor


class ActorMixin:
    """Acts as the authenticated user for the whole request, then restores the previous actor."""

    _actor_stack: ExitStack | None = None
    versioning_class: type[versioning.BaseVersioning] | None = VigieVersioning

    def perform_authentication(self, request: Request) -> None:
        user = request.user  # authenticates (token or session)
        stack = ExitStack()
        stack.enter_context(actors.acting_as(request_actor(request._request, user)))
        self._actor_stack = stack

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        finally:
            if self._actor_stack is not None:
                self._actor_stack.close()
                self._actor_stack = None


class VigieAPIView(ActorMixin, APIView):
    """Base for the API's plain views (not tied to one model)."""


# --------------------------------------------------------------------------- permissions


class HasGrant(permissions.IsAuthenticated):
    """Refuses (403) a user who may not do the action on this object type in any member.

    Which objects are concerned is then decided by the restricted queryset (404 for
    the others), and the model's own reach checks on write.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        model = getattr(view, "model", None)
        if model is None:
            return True
        actor = actors.as_actor(request.user)
        if actor is None:
            return False
        if actor.system:
            return True
        label = model._meta.label_lower
        return any(actor.grants().for_action(label, a) for a in view.grant_actions())


# --------------------------------------------------------------------------- pagination


class VigiePagination(pagination.LimitOffsetPagination):
    max_limit = 1000


# --------------------------------------------------------------------------- fields


class _RestrictedQuerysetMixin:
    """A related field offering only the objects the requester may view (others: 400)."""

    queryset: Any

    def get_queryset(self) -> models.QuerySet[Any]:
        # ``queryset`` is the model's manager (or a queryset of it): only its model counts.
        who = requester(getattr(self, "context", None))
        return self.queryset.model.objects.restrict(who, "view")


class RestrictedPrimaryKeyRelatedField(_RestrictedQuerysetMixin, relations.PrimaryKeyRelatedField):
    pass


class RestrictedSlugRelatedField(_RestrictedQuerysetMixin, relations.SlugRelatedField):
    pass


# --------------------------------------------------------------------------- serializers


class ServiceModelSerializer(serializers.ModelSerializer):
    """Writes through the services instead of ``Model.objects.create`` / ``save()``.

    Many-to-many fields are handed to the service, which checks they stay in the member.
    """

    def write(self, instance: Any, m2m: dict[str, Iterable[Any]]) -> Any:
        return core_services.save(instance, m2m=m2m or None)

    def model(self) -> Any:
        return cast(Any, self.Meta).model

    def _split(self, validated_data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        info = self.model()._meta
        m2m_names = {f.name for f in info.many_to_many}
        m2m = {k: validated_data.pop(k) for k in list(validated_data) if k in m2m_names}
        return validated_data, m2m

    def create(self, validated_data: dict[str, Any]) -> Any:
        data, m2m = self._split(dict(validated_data))
        instance = self.model()(**data)
        return self.write(instance, m2m)

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        data, m2m = self._split(dict(validated_data))
        for name, value in data.items():
            setattr(instance, name, value)
        return self.write(instance, m2m)


# --------------------------------------------------------------------------- viewsets


class VigieModelViewSet(ActorMixin, viewsets.ModelViewSet):
    """Declarative: subclasses name ``model``, ``serializer_class``, ``filterset_class``."""

    model: ClassVar[type[models.Model]]
    permission_classes = [HasGrant]
    pagination_class = VigiePagination
    lookup_value_regex = r"[0-9]{1,18}"
    # Actions on one object that are not plain reads or writes of it (e.g. enable).
    action_isolation: ClassVar[dict[str, str]] = {}

    def isolation_action(self) -> str:
        extra = self.action_isolation.get(getattr(self, "action", "") or "")
        return extra or action_for_method(self.request.method)

    def grant_actions(self) -> tuple[str, ...]:
        """Actions any one of which lets a user use this endpoint in some member."""
        return (self.isolation_action(),)

    def get_queryset(self) -> models.QuerySet[Any]:
        queryset = self.model.objects.restrict(  # type: ignore[attr-defined]
            self.request.user, self.isolation_action()
        )
        return self.optimise(queryset)

    def optimise(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """Add select_related/prefetch_related; the restriction is already applied."""
        return queryset

    def perform_destroy(self, instance: Any) -> None:
        core_services.delete(instance)

"""API of habilitations: designations, prefectoral approvals, delegations to the centre.

Plain model endpoints over the core classes; a change takes effect on the person's next
request (see vigie/tenancy/habilitations.py). Designations and approvals are withdrawn
or suspended (PATCH), never deleted: the journal and the registers refer to them.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from vigie.core.api import (
    RestrictedSlugRelatedField,
    ServiceModelSerializer,
    VigieModelViewSet,
)
from vigie.tenancy.filters_habilitations import ApprovalFilter, DelegationFilter, DesignationFilter
from vigie.tenancy.models import Approval, Designation, Member, OperatorDelegation, User


class _PersonField(serializers.SlugRelatedField):
    """A person by username, among those the requester may view."""

    def get_queryset(self) -> Any:
        from vigie.core.api import requester

        return User.objects.restrict(requester(self.context), "view")


class DesignationSerializer(ServiceModelSerializer):
    member = RestrictedSlugRelatedField(slug_field="slug", queryset=Member.objects)
    user = _PersonField(slug_field="username")

    class Meta:
        model = Designation
        fields = [
            "id",
            "member",
            "user",
            "view_live",
            "view_playback",
            "export",
            "reference",
            "valid_from",
            "valid_until",
            "withdrawn",
        ]


class ApprovalSerializer(ServiceModelSerializer):
    user = _PersonField(slug_field="username")

    class Meta:
        model = Approval
        fields = [
            "id",
            "user",
            "number",
            "departement",
            "granted_on",
            "expires_on",
            "suspended",
            "withdrawn",
            "note",
        ]


class DelegationSerializer(ServiceModelSerializer):
    member = RestrictedSlugRelatedField(slug_field="slug", queryset=Member.objects)
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=7))

    class Meta:
        model = OperatorDelegation
        fields = [
            "id",
            "member",
            "view_live",
            "view_playback",
            "export",
            "weekdays",
            "start_time",
            "end_time",
            "note",
        ]


class DesignationViewSet(VigieModelViewSet):
    model = Designation
    serializer_class = DesignationSerializer
    filterset_class = DesignationFilter
    ordering_fields = ["valid_from", "valid_until", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("member", "user")


class ApprovalViewSet(VigieModelViewSet):
    model = Approval
    serializer_class = ApprovalSerializer
    filterset_class = ApprovalFilter
    ordering_fields = ["expires_on", "granted_on", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("user")


class DelegationViewSet(VigieModelViewSet):
    model = OperatorDelegation
    serializer_class = DelegationSerializer
    filterset_class = DelegationFilter
    ordering_fields = ["id"]

    def optimise(self, queryset: Any) -> Any:
        return queryset.select_related("member")

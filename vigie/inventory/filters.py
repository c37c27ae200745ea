"""Filter sets shared by the web lists and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vigie.core.filters import RestrictedFilterSet
from vigie.inventory.choices import CameraStatus, CameraType, Purpose, Transport
from vigie.inventory.models import (
    Authorisation,
    Camera,
    RecorderNode,
    Site,
    StoragePool,
    TransportLink,
)
from vigie.tenancy.models import Member


def _members(request: Any) -> QuerySet[Member]:
    return Member.objects.restrict(getattr(request, "user", None), "view")


class _Searchable(RestrictedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    member = django_filters.ModelMultipleChoiceFilter(
        queryset=_members, field_name="member__slug", to_field_name="slug", label=_("Member")
    )
    search_fields: tuple[str, ...] = ("name__icontains",)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()[:100]
        if not value:
            return queryset
        cond = Q()
        for lookup in self.search_fields:
            cond |= Q(**{lookup: value})
        return queryset.filter(cond)


class SiteFilter(_Searchable):
    search_fields = ("name__icontains", "address__icontains", "city__icontains")

    class Meta:
        model = Site
        fields = ["member", "city"]


class CameraFilter(_Searchable):
    search_fields = (
        "name__icontains",
        "model__icontains",
        "address__icontains",
        "ip_address__icontains",
        "mac_address__icontains",
    )
    camera_type = django_filters.MultipleChoiceFilter(choices=CameraType.choices, label=_("Type"))
    transport = django_filters.MultipleChoiceFilter(choices=Transport.choices, label=_("Transport"))
    status = django_filters.MultipleChoiceFilter(choices=CameraStatus.choices, label=_("Status"))
    purpose = django_filters.ChoiceFilter(
        choices=Purpose.choices, method="by_purpose", label=_("Purpose")
    )
    enabled = django_filters.BooleanFilter(label=_("Enabled"))
    mac_address = django_filters.CharFilter(lookup_expr="iexact")
    ip_address = django_filters.CharFilter()

    class Meta:
        model = Camera
        fields = ["member", "site", "enabled", "camera_type", "transport", "status"]

    def by_purpose(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # JSON containment is not portable to SQLite; purposes are short lists of keys.
        return queryset.filter(purposes__icontains=f'"{value}"')


class AuthorisationFilter(_Searchable):
    search_fields = ("number__icontains", "prefecture__icontains")
    expires_before = django_filters.DateFilter(field_name="expires_on", lookup_expr="lte")
    expires_after = django_filters.DateFilter(field_name="expires_on", lookup_expr="gte")

    class Meta:
        model = Authorisation
        fields = ["member", "revoked"]


class TransportLinkFilter(_Searchable):
    class Meta:
        model = TransportLink
        fields = ["member", "kind", "site"]


class RecorderNodeFilter(_Searchable):
    class Meta:
        model = RecorderNode
        fields = ["member", "enabled"]


class StoragePoolFilter(_Searchable):
    class Meta:
        model = StoragePool
        fields = ["member", "node", "enabled"]

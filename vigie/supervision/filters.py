"""Filters of the health lists (API and pages)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vigie.core.filters import RestrictedFilterSet
from vigie.supervision.models import CameraHealth, HealthChange, HealthState, SupervisionPolicy
from vigie.tenancy.filters import MemberSlugFilter


class CameraHealthFilter(RestrictedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    member = MemberSlugFilter(field_name="camera__member__slug")
    state = django_filters.MultipleChoiceFilter(choices=HealthState.choices, label=_("State"))
    norms_ok = django_filters.BooleanFilter(label=_("Meets the image norms"))

    class Meta:
        model = CameraHealth
        fields = ["q", "member", "state", "norms_ok"]

    def search(self, queryset: QuerySet[CameraHealth], name: str, value: str) -> QuerySet:
        return queryset.filter(Q(camera__name__icontains=value) | Q(cause__icontains=value))


class HealthChangeFilter(RestrictedFilterSet):
    member = MemberSlugFilter(field_name="camera__member__slug")
    state = django_filters.MultipleChoiceFilter(choices=HealthState.choices)
    after = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = HealthChange
        fields = ["camera", "member", "state", "after", "before"]


class SupervisionPolicyFilter(RestrictedFilterSet):
    class Meta:
        model = SupervisionPolicy
        fields = ["member"]

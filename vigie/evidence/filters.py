"""Filter sets of the evidence models, shared by the web lists and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.core.filters import RestrictedFilterSet
from vigie.evidence.models import (
    Delivery,
    ExportJob,
    JobStatus,
    Requisition,
    RequisitionRange,
    ReviewTime,
    Service,
    YearlyStatistics,
)
from vigie.evidence.workflow import FINAL, Status
from vigie.tenancy.filters import MemberSlugFilter


def late_q() -> Q:
    """Open, past the deadline, not yet delivered."""
    return Q(deadline__lt=timezone.localdate()) & ~Q(status__in=[*FINAL, Status.DELIVERED])


class RequisitionFilter(RestrictedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    member = MemberSlugFilter("member__slug")
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("Status"))
    service = django_filters.MultipleChoiceFilter(choices=Service.choices, label=_("Service"))
    late = django_filters.BooleanFilter(method="filter_late", label=_("Late"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open"))
    received_after = django_filters.DateFilter(
        field_name="received_on", lookup_expr="gte", label=_("Received from")
    )
    received_before = django_filters.DateFilter(
        field_name="received_on", lookup_expr="lte", label=_("Received until")
    )

    class Meta:
        model = Requisition
        fields = ["q", "member", "status", "service", "late", "open"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(procedure_number__icontains=value)
            | Q(officer_name__icontains=value)
            | Q(facts__icontains=value)
        )

    def filter_late(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.filter(late_q()) if value else queryset.exclude(late_q())

    def filter_open(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        closed = Q(status__in=list(FINAL))
        return queryset.exclude(closed) if value else queryset.filter(closed)


class _ByRequisition(RestrictedFilterSet):
    requisition = django_filters.NumberFilter(field_name="requisition_id", label=_("Requisition"))
    member = MemberSlugFilter("requisition__member__slug")


class RequisitionRangeFilter(_ByRequisition):
    class Meta:
        model = RequisitionRange
        fields = ["requisition", "member"]


class ReviewTimeFilter(_ByRequisition):
    year = django_filters.NumberFilter(field_name="date", lookup_expr="year", label=_("Year"))

    class Meta:
        model = ReviewTime
        fields = ["requisition", "member", "year"]


class ExportJobFilter(_ByRequisition):
    status = django_filters.MultipleChoiceFilter(choices=JobStatus.choices, label=_("Status"))

    class Meta:
        model = ExportJob
        fields = ["requisition", "member", "status"]


class DeliveryFilter(_ByRequisition):
    class Meta:
        model = Delivery
        fields = ["requisition", "member"]


class YearlyStatisticsFilter(RestrictedFilterSet):
    member = MemberSlugFilter("member__slug")
    year = django_filters.NumberFilter(label=_("Year"))

    class Meta:
        model = YearlyStatistics
        fields = ["member", "year"]

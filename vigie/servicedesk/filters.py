"""The filter set of tickets, shared by the web list and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.core.filters import RestrictedFilterSet
from vigie.servicedesk.models import OPEN_STATUSES, Category, Kind, Priority, Status, Ticket
from vigie.tenancy.filters import MemberSlugFilter


class TicketFilter(RestrictedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    member = MemberSlugFilter("member__slug")
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("Status"))
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("Priority"))
    kind = django_filters.MultipleChoiceFilter(choices=Kind.choices, label=_("Kind"))
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label=_("Category"))
    open = django_filters.BooleanFilter(method="only_open", label=_("Still open"))
    overdue = django_filters.BooleanFilter(method="only_overdue", label=_("Overdue"))
    automatic = django_filters.BooleanFilter(label=_("Automatic"))
    camera = django_filters.NumberFilter(field_name="camera_id", label=_("Camera"))

    class Meta:
        model = Ticket
        fields = ["q", "member", "status", "priority", "kind", "category", "open", "overdue"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()[:100]
        if not value:
            return queryset
        cond = Q(title__icontains=value) | Q(description__icontains=value)
        digits = value.upper().removeprefix("T-").lstrip("0")
        if digits.isdigit():
            cond |= Q(pk=int(digits))
        return queryset.filter(cond)

    def only_open(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        cond = Q(status__in=OPEN_STATUSES)
        return queryset.filter(cond) if value else queryset.exclude(cond)

    def only_overdue(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        """Open and past a deadline not met (the clock of a ticket waiting for the
        member is stopped), or already marked as missed."""
        if value is None:
            return queryset
        now = timezone.now()
        running = ~Q(status=Status.WAITING_MEMBER) & (
            Q(intervention_due__lt=now, intervened_at__isnull=True) | Q(resolution_due__lt=now)
        )
        missed = Q(intervention_breached=True) | Q(resolution_breached=True)
        cond = Q(status__in=OPEN_STATUSES) & (running | missed)
        return queryset.filter(cond) if value else queryset.exclude(cond)

"""Filter sets of the habilitation lists (web and API)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.core import legal
from vigie.core.filters import RestrictedFilterSet
from vigie.tenancy.filters import MemberSlugFilter
from vigie.tenancy.models import Approval, Designation, OperatorDelegation


class DesignationFilter(RestrictedFilterSet):
    member = MemberSlugFilter()
    user = django_filters.CharFilter(field_name="user__username", label=_("Person"))
    current = django_filters.BooleanFilter(method="by_current", label=_("In force today"))

    class Meta:
        model = Designation
        fields = ["member", "user", "withdrawn"]

    def by_current(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        today = timezone.localdate()
        now = Q(withdrawn=False, valid_from__lte=today) & (
            Q(valid_until__isnull=True) | Q(valid_until__gte=today)
        )
        return queryset.filter(now) if value else queryset.exclude(now)


APPROVAL_STATES = (
    ("valid", _("Valid")),
    ("expiring", _("Expires within 4 months")),
    ("expired", _("Expired")),
    ("suspended", _("Suspended")),
    ("withdrawn", _("Withdrawn")),
)


class ApprovalFilter(RestrictedFilterSet):
    user = django_filters.CharFilter(field_name="user__username", label=_("Person"))
    departement = django_filters.CharFilter(label=_("Département"))
    state = django_filters.ChoiceFilter(
        choices=APPROVAL_STATES, method="by_state", label=_("State")
    )

    class Meta:
        model = Approval
        fields = ["user", "departement"]

    def by_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        today = timezone.localdate()
        live = queryset.filter(suspended=False, withdrawn=False)
        if value == "valid":
            return live.filter(granted_on__lte=today, expires_on__gte=today)
        if value == "expiring":
            return live.filter(
                expires_on__gte=today, expires_on__lte=today + legal.APPROVAL_RENEWAL_NOTICE
            )
        if value == "expired":
            return live.filter(expires_on__lt=today)
        if value in ("suspended", "withdrawn"):
            return queryset.filter(**{value: True})
        return queryset


class DelegationFilter(RestrictedFilterSet):
    member = MemberSlugFilter()

    class Meta:
        model = OperatorDelegation
        fields = ["member"]

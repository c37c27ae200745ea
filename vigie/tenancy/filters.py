"""Filter sets for members and people, shared by the web lists and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from vigie.core.filters import RestrictedFilterSet
from vigie.tenancy.models import Member, MemberKind, User
from vigie.tenancy.roles import Role


def _members(request: Any) -> QuerySet[Member]:
    return Member.objects.restrict(getattr(request, "user", None), "view")


@extend_schema_field(OpenApiTypes.STR)
class MemberSlugFilter(django_filters.ModelMultipleChoiceFilter):
    """Members given by slug (``?member=antony&member=sceaux``), among those one may view."""

    def __init__(self, field_name: str = "member__slug", **kwargs: object) -> None:
        kwargs.setdefault("queryset", _members)
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("label", _("Member"))
        super().__init__(field_name=field_name, **kwargs)


def _search(queryset: QuerySet, fields: tuple[str, ...], value: str) -> QuerySet:
    value = value.strip()[:100]
    if not value:
        return queryset
    cond = Q()
    for lookup in fields:
        cond |= Q(**{lookup: value})
    return queryset.filter(cond)


class MemberFilter(RestrictedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.MultipleChoiceFilter(choices=MemberKind.choices, label=_("Kind"))

    class Meta:
        model = Member
        fields = [
            "kind",
            "departement",
            "subscribes_recording",
            "subscribes_supervision",
            "subscribes_analytics",
            "subscribes_servicedesk",
            "subscribes_vigik",
        ]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, ("name__icontains", "slug__icontains", "insee_code"), value)


class UserFilter(RestrictedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    role = django_filters.MultipleChoiceFilter(
        choices=Role.choices, field_name="role_assignments__role", distinct=True, label=_("Role")
    )
    member = MemberSlugFilter("role_assignments__members__slug", distinct=True)

    class Meta:
        model = User
        fields = ["role", "member", "is_active"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        fields = (
            "username__icontains",
            "first_name__icontains",
            "last_name__icontains",
            "email__icontains",
            "organisation__icontains",
        )
        return _search(queryset, fields, value)

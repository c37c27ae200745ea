"""Prefectoral authorisations: those due for renewal (4 months ahead) stand out."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.core.views import (
    Column,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
)
from vigie.inventory import services
from vigie.inventory.filters import AuthorisationFilter
from vigie.inventory.forms import AuthorisationForm
from vigie.inventory.models import Authorisation, Camera, in_force
from vigie.inventory.views.common import authorisation_state, camera_status

STATE_CHOICES = (
    ("expiring", _("Expires within 4 months")),
    ("expired", _("Expired")),
    ("valid", _("Valid")),
    ("revoked", _("Revoked")),
)


class AuthorisationListFilter(AuthorisationFilter):
    state = django_filters.ChoiceFilter(choices=STATE_CHOICES, method="by_state", label=_("State"))

    def by_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        today = timezone.localdate()
        if value == "expiring":
            return queryset.filter(pk__in=services.expiring_authorisations(self.request.user))
        if value == "expired":
            return queryset.filter(revoked=False, expires_on__lt=today)
        if value == "valid":
            return queryset.filter(in_force(today))
        if value == "revoked":
            return queryset.filter(revoked=True)
        return queryset


class AuthorisationListView(ObjectListView):
    model = Authorisation
    add_label = _("Add an authorisation")
    filterset = AuthorisationListFilter
    select_related = ("member",)
    template_name = "inventory/authorisation_list.html"
    default_sort = "expires_on"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # Computed once per page with the service that decides what "due" means.
        self.expiring = set(
            services.expiring_authorisations(request.user).values_list("pk", flat=True)
        )
        return super().get(request, *args, **kwargs)

    @property
    def columns(self) -> tuple[Column, ...]:  # type: ignore[override]
        return (
            Column("number", link=True),
            Column("member"),
            Column("prefecture"),
            Column("issued_on"),
            Column("expires_on"),
            Column("state", label=_("State"), sort="", render=self.state),
            Column("camera_count", label=_("Cameras"), sort="", render=_camera_count),
        )

    def tune_filter_form(self, form: Any) -> None:
        super().tune_filter_form(form)
        # The shared filter set names these after the lookup; say it in the domain's words.
        for name, label in (
            ("expires_after", _("Expires on or after")),
            ("expires_before", _("Expires on or before")),
        ):
            if name in form.fields:
                form.fields[name].label = label

    def get_queryset(self, action: str = "view") -> QuerySet[Any]:
        return super().get_queryset(action).annotate(n_cameras=Count("cameras", distinct=True))

    def state(self, auth: Authorisation) -> Any:
        return authorisation_state(auth, self.expiring)

    def row_class(self, obj: Any) -> str:
        if obj.pk in self.expiring:
            return "row-expiring"
        if not obj.revoked and obj.expires_on < timezone.localdate():
            return "row-expired"
        return ""

    def extra_context(self, request: HttpRequest) -> dict[str, Any]:
        return {"expiring_count": len(self.expiring)}


def _camera_count(auth: Any) -> int:
    return int(auth.n_cameras)


class AuthorisationDetailView(ObjectDetailView):
    model = Authorisation
    select_related = ("member",)
    template_name = "inventory/authorisation_detail.html"
    fields = (
        Column("member"),
        Column("prefecture"),
        Column("issued_on"),
        Column("expires_on"),
        Column("state", label=_("State"), render=authorisation_state),
        Column("camera_count_authorised"),
        Column("revoked"),
        Column("notes"),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        cameras = Camera.objects.restrict(request.user, "view").filter(authorisations=obj)
        return {
            "cameras": [(c, camera_status(c)) for c in cameras.order_by("name")],
            "camera_count": cameras.count(),
        }


class AuthorisationEditView(ObjectEditView):
    model = Authorisation
    add_label = _("Add an authorisation")
    form_class = AuthorisationForm

    def write(self, form: Any) -> Any:
        return services.save_authorisation(
            form.save(commit=False), cameras=form.cleaned_data.get("cameras", [])
        )


class AuthorisationDeleteView(ObjectDeleteView):
    model = Authorisation

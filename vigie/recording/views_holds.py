"""Legal hold pages: the list (holds in force first), a hold, placing one, releasing it.

Reads go through ``LegalHold.objects.restrict(user, action)`` (the core base views);
placing and releasing only through the recording services, which journal them. A
hold is never edited nor deleted: there is no such page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.core.models import IsolationError
from vigie.core.views import (
    EMPTY,
    Column,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectView,
    add_validation_error,
    badge,
    may,
    object_url,
)
from vigie.inventory.models import Camera
from vigie.recording import services
from vigie.recording.filters_holds import LegalHoldFilter
from vigie.recording.forms_holds import LegalHoldForm, LegalHoldReleaseForm
from vigie.recording.models import LegalHold, Segment


def local(value: datetime | None) -> str:
    """A date and time in the server's zone (Europe/Paris): ``localize`` alone keeps UTC."""
    return EMPTY if value is None else str(localize(timezone.localtime(value)))


def hold_state(hold: LegalHold) -> SafeString:
    if hold.active:
        return badge(_("In force"), "warn")
    return badge(_("Released"), "muted")


def camera_names(hold: LegalHold) -> str:
    return ", ".join(sorted(c.name for c in hold.cameras.all())) or EMPTY


def username(user: Any) -> str:
    return user.get_username() if user is not None else EMPTY


class LegalHoldListView(ObjectListView):
    model = LegalHold
    add_label = gettext_lazy("Place a legal hold")
    filterset = LegalHoldFilter
    select_related = ("member",)
    prefetch_related = ("cameras",)
    columns = (
        Column("reference", link=True),
        Column("member"),
        Column("cameras", label=gettext_lazy("Cameras"), render=camera_names, sort=""),
        Column("start", render=lambda h: local(h.start)),
        Column("end", render=lambda h: local(h.end)),
        Column("state", label=gettext_lazy("State"), render=hold_state, sort=""),
        Column("placed_at", render=lambda h: local(h.placed_at)),
    )

    def sorted(self, request: HttpRequest, qs: QuerySet[Any]) -> tuple[QuerySet[Any], str]:
        queryset, sort = super().sorted(request, qs)
        if sort:
            return queryset, sort
        # Holds in force first, then the most recently placed.
        order = (F("released_at").desc(nulls_first=True), "-placed_at", "-pk")
        return queryset.order_by(*order), ""


class LegalHoldDetailView(ObjectDetailView):
    model = LegalHold
    select_related = ("member", "placed_by", "released_by")
    template_name = "recording/legalhold_detail.html"
    fields = (
        Column("member"),
        Column("reference"),
        Column("state", label=gettext_lazy("State"), render=hold_state),
        Column("start", render=lambda h: local(h.start)),
        Column("end", render=lambda h: local(h.end)),
        Column("reason"),
        Column("placed_by", render=lambda h: username(h.placed_by)),
        Column("placed_at", render=lambda h: local(h.placed_at)),
        Column("released_by", render=lambda h: username(h.released_by)),
        Column("released_at", render=lambda h: local(h.released_at)),
        Column("release_reason"),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        cameras = list(
            Camera.objects.restrict(request.user, "view").filter(legal_holds=obj).order_by("name")
        )
        may_release = obj.active and may(request.user, LegalHold, "change", obj)
        return {
            "cameras": cameras,
            "footage": footage_kept(request.user, obj, [c.pk for c in cameras])
            if obj.active
            else None,
            "release_url": object_url(obj, "release") if may_release else None,
        }


def footage_kept(who: Any, hold: LegalHold, camera_ids: list[int]) -> dict[str, Any]:
    """Segments of the hold's cameras that touch its period (bounds included), as the
    deleters see them: one aggregate over the segment index."""
    touching = (
        Segment.objects.restrict(who, "view")
        .filter(camera_id__in=camera_ids, start__lte=hold.end)
        .filter(Q(end__isnull=True) | Q(end__gte=hold.start))
    )
    totals = touching.aggregate(count=Count("pk"), size=Sum("bytes"))
    return {"segments": totals["count"] or 0, "size": filesizeformat(totals["size"] or 0)}


class LegalHoldAddView(ObjectEditView):
    """Place a hold; ``?member=&cameras=`` pre-fill it (from a camera's recording page)."""

    model = LegalHold
    add_label = gettext_lazy("Place a legal hold")
    form_class = LegalHoldForm
    template_name = "recording/legalhold_form.html"

    def write(self, form: forms.ModelForm) -> Any:
        data = form.cleaned_data
        return services.place_hold(
            data["member"],
            data["cameras"],
            data["start"],
            data["end"],
            reason=data["reason"],
            reference=data["reference"],
        )


class LegalHoldReleaseView(ObjectView):
    """Confirm with a reason, then release: the footage follows normal retention again."""

    model = LegalHold
    template_name = "recording/legalhold_release.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        hold = self.get_object("change", pk=pk)
        return self.confirm(hold, LegalHoldReleaseForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        hold = self.get_object("change", pk=pk)
        form = LegalHoldReleaseForm(request.POST)
        if not hold.active or not form.is_valid():
            return self.confirm(hold, form, status=400)
        try:
            services.release_hold(hold, form.cleaned_data["reason"])
        except ValidationError as exc:
            add_validation_error(form, exc)
            return self.confirm(hold, form, status=400)
        except IsolationError as exc:
            raise PermissionDenied(str(exc)) from exc
        messages.success(request, _("“%(obj)s”: hold released.") % {"obj": hold})
        return HttpResponseRedirect(object_url(hold) or "/")

    def confirm(self, hold: LegalHold, form: LegalHoldReleaseForm, status: int = 200) -> Any:
        context = {
            **self.base_context(),
            "object": hold,
            "form": form,
            "title": _("Release the hold “%(obj)s”?") % {"obj": hold},
            "cancel_url": object_url(hold),
            "cameras": camera_names(hold),
            "start": local(hold.start),
            "end": local(hold.end),
        }
        return render(self.request, self.template_name, context, status=status)

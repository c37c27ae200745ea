"""Filters of the audit pages and API: the registers' period, the journal register's
filters, and the requests from persons (a filter set shared by the list and the API)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.audit.models import SubjectRequest, SubjectRequestKind, SubjectRequestStatus
from vigie.audit.registers import JOURNAL_LABEL, JournalQuery, Period, members_granted
from vigie.core.filters import RestrictedFilterSet
from vigie.core.forms import DateInput
from vigie.inventory.models import Camera
from vigie.tenancy.filters import MemberSlugFilter
from vigie.tenancy.models import Member


class PeriodForm(forms.Form):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD``, whole days; default: the last 12 months."""

    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        # The query string says from/to (the API's words); "from" is a Python keyword.
        if data is not None:
            data = {"start": data.get("from", ""), "end": data.get("to", "")}
        super().__init__(data, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end must follow the start."))
        return data

    def period(self) -> Period:
        default = Period.default()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return Period(data.get("start") or default.start, data.get("end") or default.end)


def _with_member(obj: Any) -> str:
    return f"{obj.member} — {obj}"


def _day_start(day: Any) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


class JournalFilterForm(forms.Form):
    """The journal register's filters, with choices limited to what the reader may see."""

    member = forms.ModelChoiceField(
        label=_("Member"), queryset=Member.objects.none(), required=False, to_field_name="slug"
    )
    actor = forms.CharField(
        label=_("Person or party"),
        required=False,
        max_length=150,
        help_text=_("Exact user name, or a job such as job:retention."),
    )
    camera = forms.ModelChoiceField(
        label=_("Camera"), queryset=Camera.objects.none(), required=False
    )
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=100,
        help_text=_("An action or its prefix, e.g. recording.playback or recording.legalhold."),
    )
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def __init__(self, data: Any = None, *, user: Any, **kwargs: Any) -> None:
        if data is not None:
            data = {k: data.get(k, "") for k in ("member", "actor", "camera", "action")} | {
                "start": data.get("from", ""),
                "end": data.get("to", ""),
            }
        super().__init__(data, **kwargs)
        granted = members_granted(user, JOURNAL_LABEL)
        members: QuerySet[Member] = Member.objects.unrestricted().order_by("name")
        if granted is not None:
            members = members.filter(pk__in=granted)
        member_field = self.fields["member"]
        assert isinstance(member_field, forms.ModelChoiceField)
        member_field.queryset = members
        camera_field = self.fields["camera"]
        assert isinstance(camera_field, forms.ModelChoiceField)
        cameras = Camera.objects.restrict(user, "view").select_related("member")
        if granted is not None:
            cameras = cameras.filter(member__in=granted)
        camera_field.queryset = cameras.order_by("member__name", "name")
        camera_field.label_from_instance = _with_member  # type: ignore[method-assign]
        self.granted = granted

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end must follow the start."))
        return data

    def query(self) -> JournalQuery:
        """The filters as a query; an invalid form matches nothing rather than everything."""
        if not self.is_bound:
            return JournalQuery()
        if not self.is_valid():
            return JournalQuery(members=())
        data = self.cleaned_data
        member = data.get("member")
        camera = data.get("camera")
        end = data.get("end")
        return JournalQuery(
            members=(member.pk,) if member else None,
            actor=(data.get("actor") or "").strip(),
            camera=camera.pk if camera else None,
            action=(data.get("action") or "").strip(),
            start=_day_start(data.get("start")),
            end=_day_start(end + timedelta(days=1)) if end else None,
        )

    def filters(self) -> dict[str, Any]:
        """The filters as typed, for the export's journal entry and the links."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "member": data["member"].slug if data.get("member") else None,
            "actor": data.get("actor") or None,
            "camera": data["camera"].pk if data.get("camera") else None,
            "action": data.get("action") or None,
            "from": data["start"].isoformat() if data.get("start") else None,
            "to": data["end"].isoformat() if data.get("end") else None,
        }


def _cameras(request: Any) -> QuerySet[Camera]:
    return Camera.objects.restrict(getattr(request, "user", None), "view").order_by("name")


class SubjectRequestFilter(RestrictedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    member = MemberSlugFilter("member__slug")
    kind = django_filters.MultipleChoiceFilter(choices=SubjectRequestKind.choices, label=_("Kind"))
    status = django_filters.MultipleChoiceFilter(
        choices=SubjectRequestStatus.choices, label=_("Status")
    )
    camera = django_filters.ModelChoiceFilter(
        field_name="cameras", queryset=_cameras, label=_("Camera")
    )
    open = django_filters.BooleanFilter(method="filter_open", label=_("Not yet answered"))
    late = django_filters.BooleanFilter(method="filter_late", label=_("Late"))

    class Meta:
        model = SubjectRequest
        fields = ["member", "kind", "status", "camera"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(requester_name__icontains=value) | queryset.filter(
            place__icontains=value
        )

    def filter_open(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        closed = ("answered", "refused", "closed")
        return queryset.exclude(status__in=closed) if value else queryset.filter(status__in=closed)

    def filter_late(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        from django.db.models import F, Q

        today = timezone.localdate()
        late = Q(answered_on__gt=F("deadline")) | Q(
            answered_on__isnull=True,
            deadline__lt=today,
            status__in=("received", "searching", "found", "not_found"),
        )
        return queryset.filter(late) if value else queryset.exclude(late)

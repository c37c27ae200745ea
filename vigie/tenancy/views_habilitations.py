"""Habilitation pages: designations by members, prefectoral approvals, delegations to
the centre. Writes go through the generic edit views and are journaled by the models;
what they change takes effect on each person's next request (habilitations.py)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.core import legal
from vigie.core.views import (
    EMPTY,
    Column,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    badge,
)
from vigie.tenancy.filters_habilitations import ApprovalFilter, DelegationFilter, DesignationFilter
from vigie.tenancy.forms_habilitations import DAYS, ApprovalForm, DelegationForm, DesignationForm
from vigie.tenancy.models import Approval, Designation, OperatorDelegation


def designation_state(d: Designation) -> SafeString:
    today = timezone.localdate()
    if d.withdrawn:
        return badge(_("Withdrawn"), "muted")
    if d.valid_from > today:
        return badge(_("Not yet in force"), "muted")
    if d.valid_until is not None and d.valid_until < today:
        return badge(_("Expired"), "danger")
    return badge(_("In force"), "ok")


def approval_state(a: Approval) -> SafeString:
    today = timezone.localdate()
    if a.withdrawn:
        return badge(_("Withdrawn"), "danger")
    if a.suspended:
        return badge(_("Suspended"), "danger")
    if a.expires_on < today:
        return badge(_("Expired"), "danger")
    if a.granted_on > today:
        return badge(_("Not yet in force"), "muted")
    if a.expires_on <= today + legal.APPROVAL_RENEWAL_NOTICE:
        return badge(_("Expires within 4 months"), "warn")
    return badge(_("Valid"), "ok")


def actions_of(obj: Any) -> str:
    names = [
        str(label)
        for flag, label in (
            ("view_live", _("live view")),
            ("view_playback", _("playback")),
            ("export", _("export")),
        )
        if getattr(obj, flag)
    ]
    return ", ".join(names) or EMPTY


def days_of(d: OperatorDelegation) -> str:
    labels = dict(DAYS)
    return ", ".join(str(labels[n]) for n in sorted(d.weekdays) if n in labels) or EMPTY


def hours_of(d: OperatorDelegation) -> str:
    if d.start_time == d.end_time:
        return _("all day")
    return f"{d.start_time:%H:%M} – {d.end_time:%H:%M}"


class DesignationListView(ObjectListView):
    model = Designation
    add_label = gettext_lazy("Designate a person")
    filterset = DesignationFilter
    select_related = ("member", "user")
    columns = (
        Column("user", link=True, sort="user__username"),
        Column("member"),
        Column("actions", label=gettext_lazy("Actions on images"), render=actions_of, sort=""),
        Column("valid_from"),
        Column("valid_until"),
        Column("state", label=gettext_lazy("State"), render=designation_state, sort=""),
        Column("reference"),
    )


class DesignationDetailView(ObjectDetailView):
    model = Designation
    select_related = ("member", "user")
    fields = (
        Column("user"),
        Column("member"),
        Column("actions", label=gettext_lazy("Actions on images"), render=actions_of),
        Column("state", label=gettext_lazy("State"), render=designation_state),
        Column("valid_from"),
        Column("valid_until"),
        Column("reference"),
    )


class DesignationEditView(ObjectEditView):
    model = Designation
    add_label = gettext_lazy("Designate a person")
    form_class = DesignationForm


class ApprovalListView(ObjectListView):
    model = Approval
    add_label = gettext_lazy("Record an approval")
    filterset = ApprovalFilter
    select_related = ("user",)
    default_sort = "expires_on"
    columns = (
        Column("number", link=True),
        Column("user", sort="user__username"),
        Column("departement"),
        Column("granted_on"),
        Column("expires_on"),
        Column("state", label=gettext_lazy("State"), render=approval_state, sort=""),
    )


class ApprovalDetailView(ObjectDetailView):
    model = Approval
    select_related = ("user",)
    fields = (
        Column("user"),
        Column("number"),
        Column("departement"),
        Column("granted_on"),
        Column("expires_on"),
        Column("state", label=gettext_lazy("State"), render=approval_state),
        Column("note"),
    )


class ApprovalEditView(ObjectEditView):
    model = Approval
    add_label = gettext_lazy("Record an approval")
    form_class = ApprovalForm


class DelegationListView(ObjectListView):
    model = OperatorDelegation
    add_label = gettext_lazy("Delegate viewing to the centre")
    filterset = DelegationFilter
    select_related = ("member",)
    columns = (
        Column("member", link=True, sort="member__name"),
        Column("actions", label=gettext_lazy("Actions on images"), render=actions_of, sort=""),
        Column("weekdays", render=days_of, sort=""),
        Column("hours", label=gettext_lazy("Hours"), render=hours_of, sort=""),
        Column("note"),
    )


class DelegationDetailView(ObjectDetailView):
    model = OperatorDelegation
    select_related = ("member",)
    fields = (
        Column("member"),
        Column("actions", label=gettext_lazy("Actions on images"), render=actions_of),
        Column("weekdays", render=days_of),
        Column("hours", label=gettext_lazy("Hours"), render=hours_of),
        Column("note"),
    )


class DelegationEditView(ObjectEditView):
    model = OperatorDelegation
    add_label = gettext_lazy("Delegate viewing to the centre")
    form_class = DelegationForm


class DelegationDeleteView(ObjectDeleteView):
    model = OperatorDelegation

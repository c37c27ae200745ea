"""Forms of the habilitation pages: designations, approvals, delegations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigie.core.forms import DateInput, MemberScopedForm, PlainModelForm
from vigie.tenancy.models import Approval, Designation, OperatorDelegation, User

DAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]


def _people(user: Any) -> Any:
    return User.objects.restrict(user, "view").filter(is_active=True).order_by("username")


class DesignationForm(MemberScopedForm):
    fieldsets = [
        (_("Who, for which member"), ["member", "user", "reference"]),
        (_("Actions on images"), ["view_live", "view_playback", "export"]),
        (_("Validity"), ["valid_from", "valid_until", "withdrawn"]),
    ]

    class Meta:
        model = Designation
        fields = [
            "member",
            "user",
            "reference",
            "view_live",
            "view_playback",
            "export",
            "valid_from",
            "valid_until",
            "withdrawn",
        ]
        widgets = {"valid_from": DateInput(), "valid_until": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = self.fields["user"]
        assert isinstance(person, forms.ModelChoiceField)
        person.queryset = _people(self.user)


class ApprovalForm(PlainModelForm):
    fieldsets = [
        (_("Approval"), ["user", "number", "departement", "granted_on", "expires_on"]),
        (_("State"), ["suspended", "withdrawn", "note"]),
    ]

    class Meta:
        model = Approval
        fields = [
            "user",
            "number",
            "departement",
            "granted_on",
            "expires_on",
            "suspended",
            "withdrawn",
            "note",
        ]
        widgets = {"granted_on": DateInput(), "expires_on": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = self.fields["user"]
        assert isinstance(person, forms.ModelChoiceField)
        person.queryset = _people(self.user)


class DelegationForm(MemberScopedForm):
    fieldsets = [
        (_("Member"), ["member", "note"]),
        (_("Actions the centre's operators may do"), ["view_live", "view_playback", "export"]),
        (_("When"), ["weekdays", "start_time", "end_time"]),
    ]

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days"), choices=DAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = OperatorDelegation
        fields = [
            "member",
            "note",
            "view_live",
            "view_playback",
            "export",
            "weekdays",
            "start_time",
            "end_time",
        ]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

"""Forms of the service desk pages: opening a ticket, the desk's actions, the report."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.core.forms import MemberScopedForm, PlainModelForm, local_datetime_field
from vigie.core.views import members_allowed
from vigie.servicedesk.models import (
    Contractor,
    DeskSettings,
    Impact,
    Status,
    Ticket,
    Urgency,
)
from vigie.servicedesk.services import EDITABLE
from vigie.tenancy.models import Member, User


class TicketOpenForm(MemberScopedForm):
    """What a town user fills in: the member, a camera or a category, what happens.
    Impact and urgency are a proposal that the desk confirms."""

    scoped_fields = ("camera",)
    fieldsets = [
        (_("Where"), ["member", "camera", "category", "kind"]),
        (_("What happens"), ["title", "description"]),
        (_("How serious (the desk confirms)"), ["impact", "urgency"]),
    ]

    class Meta:
        model = Ticket
        fields = [
            "member",
            "camera",
            "category",
            "kind",
            "title",
            "description",
            "impact",
            "urgency",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "camera": _("Optional: the camera concerned, if there is one."),
            "impact": _("Your estimate; the service desk confirms it."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        camera = self.fields["camera"]
        assert isinstance(camera, forms.ModelChoiceField)
        camera.required = False
        if camera.queryset is not None:
            camera.queryset = camera.queryset.order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        camera, member = data.get("camera"), data.get("member")
        if camera is not None and member is not None and camera.member_id != member.pk:
            self.add_error("camera", _("This camera belongs to another member."))
        if camera is not None and not data.get("category"):
            data["category"] = "camera"
        return data

    def _post_clean(self) -> None:
        # The services validate the ticket (priority, deadlines) when they open it.
        return

    def is_desk(self) -> bool:
        member = self.cleaned_data.get("member")
        allowed = members_allowed(self.user, Ticket, "change")
        return member is not None and (allowed is None or member.pk in allowed)


class TicketEditForm(MemberScopedForm):
    """What the desk may correct in a ticket's description (its life, priority and
    assignment have their own forms)."""

    scoped_fields = ("camera",)

    class Meta:
        model = Ticket
        fields = list(EDITABLE)
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        camera = self.fields["camera"]
        assert isinstance(camera, forms.ModelChoiceField)
        camera.required = False

    def _post_clean(self) -> None:
        # services.edit saves the ticket (and re-reads it through the restricted queryset).
        return


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )
    internal = forms.BooleanField(label=_("Internal note (the desk only)"), required=False)


class AssignForm(forms.Form):
    assignee: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Technician"), queryset=User.objects.none(), required=False
    )
    contractor = forms.ModelChoiceField(
        label=_("Contractor"), queryset=Contractor.objects.filter(active=True), required=False
    )

    def __init__(self, *args: Any, technicians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = technicians

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("assignee") is not None and data.get("contractor") is not None:
            raise forms.ValidationError(_("Assign a technician or a contractor, not both."))
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


def status_choices(ticket: Ticket) -> list[tuple[str, Any]]:
    from vigie.servicedesk.models import TRANSITIONS

    labels = dict(Status.choices)
    return [(s, labels[s]) for s in TRANSITIONS.get(ticket.status, ())]


class QualifyForm(forms.Form):
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int)
    appointment = local_datetime_field(_("Appointment (P4)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appointment"].required = False


class ReportForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=_("YYYY-MM"),
    )
    member = forms.ModelChoiceField(
        label=_("Member"),
        queryset=Member.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label=_("All members"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Member.objects.restrict(user, "view").order_by("name")
        if not self.is_bound:
            self.initial.setdefault("month", f"{timezone.localdate():%Y-%m}")


class DeskSettingsForm(MemberScopedForm):
    class Meta:
        model = DeskSettings
        fields = ["member", "auto_resolve", "automatic_impact", "automatic_urgency"]


class ContractorForm(PlainModelForm):
    class Meta:
        model = Contractor
        fields = ["name", "level", "email", "phone", "active"]

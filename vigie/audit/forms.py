"""Forms of the requests from persons: the request itself, a status change, an extension."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.audit.models import SubjectRequest, SubjectRequestStatus
from vigie.core.forms import DateInput, MemberScopedForm, local_datetime_field
from vigie.inventory.models import Camera


class SubjectRequestForm(MemberScopedForm):
    """Who asks, what about (place, window, cameras), and the extra masks."""

    scoped_fields = ("cameras",)
    fieldsets = [
        (_("Request"), ["member", "kind", "received_on"]),
        (_("Requester"), ["requester_name", "requester_contact", "identity_reference"]),
        (_("Footage asked for"), ["place", "window_start", "window_end", "cameras"]),
        (_("Other"), ["extra_polygons", "notes"]),
    ]

    window_start = local_datetime_field(_("From"))
    window_end = local_datetime_field(_("Until"))
    extra_polygons = forms.JSONField(
        label=_("Extra masks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "Polygons hiding other people in the copy shown to the requester, as JSON: "
            "[[[x, y], [x, y], [x, y]], …], each coordinate between 0 and 1."
        ),
    )

    class Meta:
        model = SubjectRequest
        fields = [
            "member",
            "kind",
            "received_on",
            "requester_name",
            "requester_contact",
            "identity_reference",
            "place",
            "window_start",
            "window_end",
            "cameras",
            "extra_polygons",
            "notes",
        ]
        widgets = {
            "received_on": DateInput(),
            "cameras": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cameras = self.fields["cameras"]
        assert isinstance(cameras, forms.ModelMultipleChoiceField)
        if self.member_id is None:
            cameras.queryset = Camera.objects.none()
            cameras.help_text = _("Choose the member first: its cameras are listed then.")
        else:
            assert cameras.queryset is not None
            cameras.queryset = cameras.queryset.order_by("name")
        if self.instance._state.adding:
            self.initial.setdefault("received_on", timezone.localdate())

    def clean_extra_polygons(self) -> Any:
        value = self.cleaned_data.get("extra_polygons")
        return [] if value in (None, "") else value


class TransitionForm(forms.Form):
    """Move a request on: the answer's text, the refusal's ground, the answer's date."""

    status = forms.ChoiceField(label=_("New status"), choices=())
    text = forms.CharField(
        label=_("Answer"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The answer given to the person (required to answer or refuse)."),
    )
    ground = forms.CharField(
        label=_("Legal ground of the refusal"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. GDPR art. 12(5): manifestly unfounded or excessive request."),
    )
    on = forms.DateField(label=_("Answered on"), required=False, widget=DateInput())

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [(s, SubjectRequestStatus(s).label) for s in allowed]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("status")
        if status in ("answered", "refused") and not (data.get("text") or "").strip():
            self.add_error("text", _("Write the answer given."))
        if status == "refused" and not (data.get("ground") or "").strip():
            self.add_error("ground", _("A refusal states its legal ground."))
        return data


class ExtensionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the extension"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Told to the person within the first month (GDPR art. 12(3))."),
    )


class ViewingCopyForm(forms.Form):
    camera = forms.ModelChoiceField(label=_("Camera"), queryset=Camera.objects.none())
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("Why this footage is extracted (recorded in the journal)."),
    )

    def __init__(self, *args: Any, cameras: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["camera"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = cameras

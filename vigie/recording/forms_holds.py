"""Forms of the legal hold pages: placing a hold and releasing it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigie.core.forms import MemberScopedForm, local_datetime_field
from vigie.inventory.models import Camera
from vigie.recording.models import LegalHold


class LegalHoldForm(MemberScopedForm):
    """Member, its cameras, the period frozen, the reason and the procedure number."""

    scoped_fields = ("cameras",)
    fieldsets = [
        (_("Member and cameras"), ["member", "cameras"]),
        (_("Period of footage to keep"), ["start", "end"]),
        (_("Procedure"), ["reference", "reason"]),
    ]

    start = local_datetime_field(_("From"))
    end = local_datetime_field(_("Until"))

    class Meta:
        model = LegalHold
        fields = ["member", "cameras", "start", "end", "reference", "reason"]
        widgets = {
            "cameras": forms.CheckboxSelectMultiple,
            "reason": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "reason": _("E.g. the requisition of the judicial police officer and its subject."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cameras = self.fields["cameras"]
        assert isinstance(cameras, forms.ModelMultipleChoiceField)
        if self.member_id is None:
            # A hold covers cameras of one member only: choose it first.
            cameras.queryset = Camera.objects.none()
            cameras.help_text = _("Choose the member first: its cameras are listed then.")
        else:
            assert cameras.queryset is not None
            cameras.queryset = cameras.queryset.order_by("name")
            cameras.help_text = _("Only the member's own cameras can be held.")

    def _post_clean(self) -> None:
        # No model validation here: place_hold validates the hold (and save() the model)
        # again, and the checks above already name each field; running the model's
        # clean() too would repeat "give the reason" under a required-field error.
        return

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            self.add_error("end", _("The end must follow the start."))
        return data


class LegalHoldReleaseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the release"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. the procedure is closed and the footage was handed over."),
    )

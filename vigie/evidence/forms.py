"""Forms of the requisition pages: filing, one more range, a step of the workflow,
review hours, an export and a delivery."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigie.core.forms import DateInput, MemberScopedForm, local_datetime_field
from vigie.evidence import workflow
from vigie.evidence.models import Delivery, ExportJob, Requisition, YearlyStatistics
from vigie.inventory.models import Camera

RANGE_ROWS = 4


def cameras_of(member_id: int | None) -> Any:
    """Camera names of the member, whoever files: an officer names cameras without
    seeing any image (the services check the member again)."""
    if member_id is None:
        return Camera.objects.none()
    return Camera.objects.unrestricted().filter(member_id=member_id).order_by("name")


class RequisitionForm(MemberScopedForm):
    """The requisition and up to four cameras with their periods (more can be added)."""

    fieldsets = [
        (_("Requesting officer"), ["member", "service", "officer_name", "officer_id"]),
        (_("Procedure"), ["procedure_number", "received_on", "deadline", "facts"]),
    ]

    class Meta:
        model = Requisition
        fields = [
            "member",
            "service",
            "officer_name",
            "officer_id",
            "procedure_number",
            "received_on",
            "deadline",
            "facts",
        ]
        widgets = {
            "received_on": DateInput(),
            "deadline": DateInput(),
            "facts": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names: list[str] = []
        for i in range(1, RANGE_ROWS + 1):
            self.fields[f"camera_{i}"] = forms.ModelChoiceField(
                label=_("Camera %(n)s") % {"n": i},
                queryset=cameras_of(self.member_id),
                required=i == 1,
            )
            self.fields[f"start_{i}"] = local_datetime_field(_("From"))
            self.fields[f"end_{i}"] = local_datetime_field(_("Until"))
            self.fields[f"start_{i}"].required = self.fields[f"end_{i}"].required = i == 1
            names += [f"camera_{i}", f"start_{i}", f"end_{i}"]
        groups = [*type(self).fieldsets, (_("Cameras and periods (footage held at once)"), names)]
        self.__dict__["fieldsets"] = groups
        if self.member_id is None:
            self.fields["camera_1"].help_text = _(
                "Choose the member first: its cameras are listed then."
            )

    def _post_clean(self) -> None:
        # The services validate the requisition and its ranges together.
        return

    def ranges(self) -> list[tuple[Any, Any, Any]]:
        data = self.cleaned_data
        out = []
        for i in range(1, RANGE_ROWS + 1):
            camera, start, end = (data.get(f"{k}_{i}") for k in ("camera", "start", "end"))
            if camera and start and end:
                out.append((camera, start, end))
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(1, RANGE_ROWS + 1):
            given = [data.get(f"{k}_{i}") for k in ("camera", "start", "end")]
            if any(given) and not all(given):
                self.add_error(f"camera_{i}", _("Give the camera, the start and the end."))
        return data


class RangeForm(forms.Form):
    camera = forms.ModelChoiceField(label=_("Camera"), queryset=Camera.objects.none())
    start = local_datetime_field(_("From"))
    end = local_datetime_field(_("Until"))

    def __init__(self, *args: Any, member_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["camera"].queryset = cameras_of(member_id)  # type: ignore[attr-defined]


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("Next step"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the journal."),
    )

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(workflow.Status.choices)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (s, labels[s]) for s in workflow.manual_targets(current)
        ]


class ReviewTimeForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    hours = forms.DecimalField(label=_("Hours"), min_value=0.01, max_value=24, decimal_places=2)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)


class ExportForm(forms.ModelForm):
    class Meta:
        model = ExportJob
        fields = ["reason", "make_iso"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"reason": _("Why you extract these images (recorded in the journal).")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True


class DeliveryForm(forms.ModelForm):
    class Meta:
        model = Delivery
        fields = [
            "export_job",
            "delivered_at",
            "officer_name",
            "medium_reference",
            "package_sha256",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"package_sha256": _("Empty: the export's zip is hashed.")}

    delivered_at = local_datetime_field(_("Delivered at"))

    def __init__(self, *args: Any, requisition: Requisition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["export_job"]
        field.queryset = ExportJob.objects.unrestricted().filter(  # type: ignore[attr-defined]
            requisition=requisition, status="done"
        )

    def _post_clean(self) -> None:
        return


class YearlyStatisticsForm(MemberScopedForm):
    class Meta:
        model = YearlyStatistics
        fields = [
            "member",
            "year",
            "offences",
            "offences_by_operators",
            "viewing_requests",
            "positive",
            "negative",
            "direct",
            "cancelled",
            "with_export",
            "review_hours",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

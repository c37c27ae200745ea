"""Forms of the recording pages: the reason asked before any playback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigie.recording.playback import REASON_MAX_LENGTH, REASON_MIN_LENGTH


class PlaybackReasonForm(forms.Form):
    """Playback and export require a reason typed by the person (the journal keeps it)."""

    reason = forms.CharField(
        label=_("Reason for viewing the recording"),
        min_length=REASON_MIN_LENGTH,
        max_length=REASON_MAX_LENGTH,
        help_text=_("E.g. a request from the municipal police, with its reference."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    at = forms.DateTimeField(
        label=_("Play from"),
        input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"
        ),
    )

    def clean_reason(self) -> str:
        reason = " ".join(str(self.cleaned_data["reason"]).split())
        if len(reason) < REASON_MIN_LENGTH:
            raise forms.ValidationError(
                _("Give a reason of at least %(n)d characters.") % {"n": REASON_MIN_LENGTH}
            )
        return reason


class JumpForm(forms.Form):
    """Go to an instant (the date and time picker of the timeline)."""

    at = forms.DateTimeField(
        label=_("Go to"),
        input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"
        ),
    )

    def __init__(self, *args: Any, initial_at: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if initial_at is not None:
            self.fields["at"].initial = initial_at

"""The form of a privacy mask: a label and its polygons as JSON (what the editor's
script fills in; without JavaScript a person can type or paste the coordinates)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vigie.recording.models import validate_polygons


class PrivacyMaskForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=100,
        help_text=_("What the mask hides, e.g. “Windows of no. 12”."),
    )
    polygons = forms.CharField(
        label=_("Polygons (coordinates)"),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "Drawn on the image above, or typed: a JSON list of polygons, each a list of "
            "[x, y] points from 0 to 1 (fractions of the picture's width and height)."
        ),
    )

    def clean_polygons(self) -> Any:
        raw = self.cleaned_data["polygons"]
        try:
            value = json.loads(raw)
        except ValueError:
            raise ValidationError(_("The polygons are not valid JSON.")) from None
        return validate_polygons(value)

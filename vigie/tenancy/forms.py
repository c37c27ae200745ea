"""Forms of the member pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigie.core.forms import PlainModelForm
from vigie.tenancy.models import Member, Syndicate


class MemberForm(PlainModelForm):
    fieldsets = [
        (
            _("Member"),
            ["syndicate", "name", "slug", "kind", "insee_code", "departement", "population"],
        ),
        (
            _("Services subscribed"),
            [
                "subscribes_recording",
                "subscribes_supervision",
                "subscribes_analytics",
                "subscribes_servicedesk",
                "subscribes_vigik",
            ],
        ),
    ]

    class Meta:
        model = Member
        fields = [
            "syndicate",
            "name",
            "slug",
            "kind",
            "insee_code",
            "departement",
            "population",
            "subscribes_recording",
            "subscribes_supervision",
            "subscribes_analytics",
            "subscribes_servicedesk",
            "subscribes_vigik",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        syndicate = self.fields["syndicate"]
        assert isinstance(syndicate, forms.ModelChoiceField)
        syndicate.queryset = Syndicate.objects.order_by("name")
        if not self.instance._state.adding:
            # A member does not change syndicate from the web.
            del self.fields["syndicate"]
        else:
            first = syndicate.queryset.first()
            if first is not None and syndicate.queryset.count() == 1:
                self.initial.setdefault("syndicate", first.pk)

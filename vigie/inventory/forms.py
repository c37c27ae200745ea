"""Forms of the inventory pages. Choices follow the acting user and the chosen member."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vigie.core.forms import DateInput, MemberScopedForm
from vigie.inventory.choices import Purpose
from vigie.inventory.models import (
    Authorisation,
    Camera,
    RecorderNode,
    Site,
    StoragePool,
    TransportLink,
)
from vigie.inventory.validators import normalise_mac
from vigie.tenancy.models import Member

# Generous for a real file, small enough that a hostile upload cannot fill the disk.
MAX_IMPORT_BYTES = 5 * 1024 * 1024


class SiteForm(MemberScopedForm):
    fieldsets = [
        (_("Owner"), ["member"]),
        (_("Site"), ["name", "address", "postcode", "city", "latitude", "longitude", "notes"]),
    ]

    class Meta:
        model = Site
        fields = ["member", "name", "address", "postcode", "city", "latitude", "longitude", "notes"]
        localized_fields = ("latitude", "longitude")


class CameraForm(MemberScopedForm):
    scoped_fields = ("site", "transport_link", "recorder_node", "storage_pool")
    fieldsets = [
        (_("Owner and attachments"), ["member", *scoped_fields]),
        (_("Device"), ["name", "model", "camera_type", "ip_address", "mac_address"]),
        (_("Streams"), ["rtsp_main", "rtsp_sub"]),
        (_("Position"), ["address", "latitude", "longitude", "support"]),
        (_("Use"), ["purposes", "close_up", "retention_days", "transport", "status", "notes"]),
    ]

    purposes = forms.MultipleChoiceField(
        label=_("Purposes"),
        choices=Purpose.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The purposes of the camera under CSI L251-2."),
    )

    class Meta:
        model = Camera
        fields = [
            "member",
            "site",
            "transport_link",
            "recorder_node",
            "storage_pool",
            "name",
            "model",
            "camera_type",
            "ip_address",
            "mac_address",
            "rtsp_main",
            "rtsp_sub",
            "address",
            "latitude",
            "longitude",
            "support",
            "purposes",
            "close_up",
            "retention_days",
            "transport",
            "status",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        # French users write 48,7512: the coordinates accept the decimal comma.
        localized_fields = ("latitude", "longitude")
        help_texts = {
            "mac_address": _("Any common spelling: 00:0c:29:aa:bb:cc, 000C29AABBCC…"),
            "retention_days": _("30 days at most (CSI L252-5)."),
        }

    def clean_mac_address(self) -> str | None:
        raw = self.cleaned_data.get("mac_address")
        return normalise_mac(raw) if raw else None


class AuthorisationForm(MemberScopedForm):
    scoped_fields = ("cameras",)
    fieldsets = [
        (_("Owner and cameras"), ["member", "cameras"]),
        (
            _("Authorisation"),
            [
                "number",
                "prefecture",
                "issued_on",
                "expires_on",
                "camera_count_authorised",
                "revoked",
                "notes",
            ],
        ),
    ]

    class Meta:
        model = Authorisation
        fields = [
            "member",
            "cameras",
            "number",
            "prefecture",
            "issued_on",
            "expires_on",
            "camera_count_authorised",
            "revoked",
            "notes",
        ]
        widgets = {
            "issued_on": DateInput(),
            "expires_on": DateInput(),
            "cameras": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"expires_on": _("Five years after the issue date at most (CSI L252-4).")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cameras = self.fields["cameras"]
        assert isinstance(cameras, forms.ModelMultipleChoiceField)
        if self.member_id is None:
            # The cameras an authorisation covers are all the member's own: choose it first.
            cameras.queryset = Camera.objects.none()
            cameras.help_text = _("Choose the member first: its cameras are listed then.")
        else:
            cameras.help_text = _("Only the member's own cameras can be covered.")


class TransportLinkForm(MemberScopedForm):
    scoped_fields = ("site",)

    class Meta:
        model = TransportLink
        fields = [
            "member",
            "name",
            "kind",
            "site",
            "endpoint",
            "bandwidth_mbps",
            "provider",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class RecorderNodeForm(MemberScopedForm):
    class Meta:
        model = RecorderNode
        fields = ["member", "name", "hostname", "datacentre", "max_cameras", "enabled"]
        help_texts = {"member": _("Leave empty for a recorder of the shared centre.")}


class StoragePoolForm(MemberScopedForm):
    scoped_fields = ("node",)

    class Meta:
        model = StoragePool
        fields = ["member", "name", "node", "path", "capacity_gb", "min_free_percent", "enabled"]
        help_texts = {"member": _("Leave empty for storage of the shared centre.")}


class ImportForm(forms.Form):
    """Step one of the import: whose cameras, and which file."""

    member: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Member.objects.none(), label=_("Member")
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A Genetec status extract (tab-separated), the native CSV, or a CSV saved by "
            "Excel (semicolons). 5 MB at most."
        ),
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = members
        ids = list(members.values_list("pk", flat=True)[:2])
        if len(ids) == 1:
            field.initial = ids[0]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is larger than 5 MB."))
        return upload

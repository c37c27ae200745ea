"""API representation of the inventory; the CLI's ``--json`` uses the same field names."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vigie.core.api import (
    RestrictedPrimaryKeyRelatedField,
    RestrictedSlugRelatedField,
    ServiceModelSerializer,
)
from vigie.inventory import services
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


def member_field(*, optional: bool = False) -> RestrictedSlugRelatedField:
    """The owning member, written and read as its slug (readable in scripts)."""
    return RestrictedSlugRelatedField(
        slug_field="slug",
        queryset=Member.objects,
        required=not optional,
        allow_null=optional,
    )


def related(model: Any, **kwargs: Any) -> RestrictedPrimaryKeyRelatedField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    return RestrictedPrimaryKeyRelatedField(queryset=model.objects, **kwargs)


@extend_schema_field(OpenApiTypes.DOUBLE)
class CoordinateField(serializers.DecimalField):
    """A latitude or longitude: validated as a decimal, written as a JSON number (a float,
    so that ``json.dumps`` in scripts and the CLI needs no special encoder)."""

    def to_representation(self, value: Any) -> Any:
        return None if value is None else float(value)


def coordinate(max_value: int) -> CoordinateField:
    return CoordinateField(
        max_digits=9,
        decimal_places=6,
        min_value=-max_value,
        max_value=max_value,
        required=False,
        allow_null=True,
    )


class SiteSerializer(ServiceModelSerializer):
    member = member_field()
    latitude = coordinate(90)
    longitude = coordinate(180)

    class Meta:
        model = Site
        fields = [
            "id",
            "member",
            "name",
            "address",
            "postcode",
            "city",
            "latitude",
            "longitude",
            "notes",
        ]


class RecorderNodeSerializer(ServiceModelSerializer):
    member = member_field(optional=True)

    class Meta:
        model = RecorderNode
        fields = ["id", "member", "name", "hostname", "datacentre", "max_cameras", "enabled"]


class StoragePoolSerializer(ServiceModelSerializer):
    member = member_field(optional=True)
    node = related(RecorderNode, required=True, allow_null=False)

    class Meta:
        model = StoragePool
        fields = [
            "id",
            "member",
            "name",
            "node",
            "path",
            "capacity_gb",
            "min_free_percent",
            "enabled",
        ]


class TransportLinkSerializer(ServiceModelSerializer):
    member = member_field()
    site = related(Site)

    class Meta:
        model = TransportLink
        fields = [
            "id",
            "member",
            "name",
            "kind",
            "site",
            "endpoint",
            "bandwidth_mbps",
            "provider",
            "notes",
        ]


class CameraSerializer(ServiceModelSerializer):
    member = member_field()
    site = related(Site)
    transport_link = related(TransportLink)
    recorder_node = related(RecorderNode)
    storage_pool = related(StoragePool)
    latitude = coordinate(90)
    longitude = coordinate(180)
    # Any common spelling is accepted and stored as AA:BB:CC:DD:EE:FF.
    mac_address = serializers.CharField(
        max_length=40, required=False, allow_null=True, allow_blank=True
    )
    purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=Purpose.choices),
        required=False,
        max_length=len(Purpose.choices),
    )

    class Meta:
        model = Camera
        fields = [
            "id",
            "member",
            "site",
            "name",
            "model",
            "ip_address",
            "mac_address",
            "rtsp_main",
            "rtsp_sub",
            "address",
            "latitude",
            "longitude",
            "support",
            "camera_type",
            "transport",
            "transport_link",
            "purposes",
            "close_up",
            "retention_days",
            "status",
            "enabled",
            "recorder_node",
            "storage_pool",
            "notes",
            "created",
            "updated",
        ]
        # Enabling has its own endpoints (it needs a stream URL and an authorisation).
        read_only_fields = ["enabled", "created", "updated"]

    def validate_mac_address(self, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        try:
            return normalise_mac(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def validate_purposes(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))  # drop repeats, keep the order given

    def write(self, instance: Any, m2m: dict[str, Any]) -> Any:
        return services.save_camera(instance)


class AuthorisationSerializer(ServiceModelSerializer):
    member = member_field()
    cameras = RestrictedPrimaryKeyRelatedField(queryset=Camera.objects, many=True, required=False)
    # The metaclass turns declared fields into ``fields``: no clash with is_valid().
    is_valid = serializers.SerializerMethodField()  # type: ignore[assignment]
    expires_soon = serializers.SerializerMethodField()

    class Meta:
        model = Authorisation
        fields = [
            "id",
            "member",
            "number",
            "issued_on",
            "expires_on",
            "prefecture",
            "cameras",
            "camera_count_authorised",
            "revoked",
            "notes",
            "is_valid",
            "expires_soon",
        ]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_valid(self, obj: Authorisation) -> bool:
        return obj.is_valid()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_expires_soon(self, obj: Authorisation) -> bool:
        return obj.expires_soon()

    def write(self, instance: Any, m2m: dict[str, Any]) -> Any:
        return services.save_authorisation(instance, m2m.get("cameras"))


# --------------------------------------------------------------------------- import

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, max_length=255)
    member = member_field()
    dry_run = serializers.BooleanField(default=False, required=False)

    def validate_file(self, value: Any) -> Any:
        if value.size > MAX_IMPORT_BYTES:
            raise serializers.ValidationError(
                _("The file is too large (%(max)s MB at most).") % {"max": MAX_IMPORT_BYTES >> 20}
            )
        return value


class ImportRowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    field = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["create", "update", "unchanged"])
    camera_id = serializers.IntegerField(allow_null=True)
    matched_by = serializers.ChoiceField(choices=["mac", "ip", "name", ""])
    values = serializers.DictField(child=serializers.JSONField())
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2)
    )


# Output-only shapes for the schema. Declared fields leave the class namespace (DRF's
# metaclass), so names such as ``create`` or ``errors`` do not replace the methods.
class ImportCountsSerializer(serializers.Serializer):
    create = serializers.IntegerField()  # type: ignore[assignment]
    update = serializers.IntegerField()  # type: ignore[assignment]
    unchanged = serializers.IntegerField()
    errors = serializers.IntegerField()  # type: ignore[assignment]


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    sites_created = serializers.IntegerField()


class ImportPlanSerializer(serializers.Serializer):
    """What the file holds and what the import did (``applied``) or would do."""

    member = serializers.SlugField()
    file_format = serializers.ChoiceField(choices=["genetec", "native", "unknown"])
    encoding = serializers.CharField()
    delimiter = serializers.CharField()
    headers = serializers.DictField(
        child=serializers.CharField(), help_text=_("Camera field → column as written.")
    )
    sites_to_create = serializers.ListField(child=serializers.CharField())
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    counts = ImportCountsSerializer()
    rows = ImportRowSerializer(many=True)
    errors = ImportRowErrorSerializer(many=True)  # type: ignore[assignment]
    result = ImportResultSerializer(allow_null=True)

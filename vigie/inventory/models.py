"""Sites, cameras, prefectoral authorisations, transport links, recorders and storage."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.core import legal
from vigie.core.models import RestrictedModel
from vigie.inventory.choices import (
    CameraStatus,
    CameraType,
    LinkKind,
    Purpose,
    Support,
    Transport,
)
from vigie.inventory.validators import validate_mac, validate_stream_url
from vigie.tenancy.models import Member

LAT = [MinValueValidator(-90), MaxValueValidator(90)]
LON = [MinValueValidator(-180), MaxValueValidator(180)]


def _coordinates() -> tuple[models.DecimalField, models.DecimalField]:
    return (
        models.DecimalField(
            _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LAT
        ),
        models.DecimalField(
            _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LON
        ),
    )


def _member(related_name: str, *, optional: bool = False) -> models.ForeignKey:
    return models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name=related_name,
        verbose_name=_("member"),
        null=optional,
        blank=optional,
    )


class Site(RestrictedModel):
    member = _member("sites")
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    latitude, longitude = _coordinates()
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["member__name", "name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.UniqueConstraint(fields=["member", "name"], name="site_unique_name_per_member")
        ]

    def __str__(self) -> str:
        return self.name


class RecorderNode(RestrictedModel):
    """A recording server; ``member`` empty means it belongs to the shared centre."""

    member = _member("recorder_nodes", optional=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    hostname = models.CharField(_("host name"), max_length=255, blank=True)
    datacentre = models.CharField(_("data centre"), max_length=100, blank=True)
    max_cameras = models.PositiveIntegerField(
        _("maximum cameras"), default=200, validators=[MinValueValidator(1)]
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("recorder node")
        verbose_name_plural = _("recorder nodes")

    def __str__(self) -> str:
        return self.name


class StoragePool(RestrictedModel):
    member = _member("storage_pools", optional=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    node = models.ForeignKey(
        RecorderNode,
        on_delete=models.PROTECT,
        related_name="storage_pools",
        verbose_name=_("recorder node"),
    )
    path = models.CharField(_("path"), max_length=500)
    capacity_gb = models.PositiveIntegerField(_("capacity (GB)"), null=True, blank=True)
    min_free_percent = models.PositiveSmallIntegerField(
        _("minimum free space (%)"), default=10, validators=[MaxValueValidator(90)]
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("storage pool")
        verbose_name_plural = _("storage pools")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.path and not self.path.startswith("/"):
            raise ValidationError({"path": _("Give an absolute path.")})


class TransportLink(RestrictedModel):
    member = _member("transport_links")
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=10, choices=LinkKind)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transport_links",
        verbose_name=_("site"),
    )
    endpoint = models.CharField(_("other end"), max_length=200, blank=True)
    bandwidth_mbps = models.PositiveIntegerField(_("bandwidth (Mbit/s)"), null=True, blank=True)
    provider = models.CharField(_("provider"), max_length=150, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["member__name", "name"]
        verbose_name = _("transport link")
        verbose_name_plural = _("transport links")
        constraints = [
            models.UniqueConstraint(fields=["member", "name"], name="link_unique_name_per_member")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        _same_member(self, "site", self.site)


class Camera(RestrictedModel):
    member = _member("cameras")
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cameras",
        verbose_name=_("site"),
    )
    name = models.CharField(_("name"), max_length=150)
    model = models.CharField(_("model"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    mac_address = models.CharField(
        _("MAC address"), max_length=17, null=True, blank=True, validators=[validate_mac]
    )
    rtsp_main = models.CharField(
        _("main stream URL"), max_length=500, blank=True, validators=[validate_stream_url]
    )
    rtsp_sub = models.CharField(
        _("sub stream URL"), max_length=500, blank=True, validators=[validate_stream_url]
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude, longitude = _coordinates()
    support = models.CharField(_("support"), max_length=20, choices=Support, blank=True)
    camera_type = models.CharField(
        _("type"), max_length=10, choices=CameraType, default=CameraType.FIXED
    )
    transport = models.CharField(_("transport"), max_length=10, choices=Transport, blank=True)
    transport_link = models.ForeignKey(
        TransportLink,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cameras",
        verbose_name=_("transport link"),
    )
    purposes = models.JSONField(_("purposes"), default=list, blank=True)
    close_up = models.BooleanField(
        _("close-up camera"),
        default=False,
        help_text=_("Close-up cameras must store 704×576 or more (arrêté of 3 August 2007)."),
    )
    retention_days = models.PositiveSmallIntegerField(
        _("retention (days)"),
        default=14,
        validators=[
            MinValueValidator(legal.MIN_RETENTION_DAYS),
            MaxValueValidator(legal.MAX_RETENTION_DAYS),
        ],
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CameraStatus, default=CameraStatus.IN_SERVICE
    )
    enabled = models.BooleanField(_("enabled"), default=False)
    recorder_node = models.ForeignKey(
        RecorderNode,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cameras",
        verbose_name=_("recorder node"),
    )
    storage_pool = models.ForeignKey(
        StoragePool,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cameras",
        verbose_name=_("storage pool"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["member__name", "name"]
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "name"], name="camera_unique_name_per_member"
            ),
            models.UniqueConstraint(
                fields=["member", "mac_address"],
                condition=Q(mac_address__isnull=False),
                name="camera_unique_mac_per_member",
            ),
            # The law (CSI L252-5) caps retention at 30 days: enforced by the database too.
            models.CheckConstraint(
                condition=Q(retention_days__gte=legal.MIN_RETENTION_DAYS)
                & Q(retention_days__lte=legal.MAX_RETENTION_DAYS),
                name="camera_retention_within_legal_bounds",
                violation_error_message=_("Retention must be between 1 and 30 days."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        unknown = [p for p in self.purposes or [] if p not in Purpose.values]
        if not isinstance(self.purposes, list) or unknown:
            errors["purposes"] = _("Unknown purpose(s): %(p)s.") % {
                "p": ", ".join(map(str, unknown))
            }
        for name in ("site", "transport_link"):
            if not _belongs(self, getattr(self, name)):
                errors[name] = _("It belongs to another member.")
        for name in ("recorder_node", "storage_pool"):
            target = getattr(self, name)
            if target is not None and target.member_id not in (None, self.member_id):
                errors[name] = _("It belongs to another member.")
        if self.enabled:
            errors.update(self.enable_blockers())
        if errors:
            raise ValidationError(errors)

    def enable_blockers(self) -> dict[str, str]:
        """Why this camera may not be enabled (recorded, shown) now; empty if it may."""
        blockers: dict[str, str] = {}
        if not self.rtsp_main:
            blockers["rtsp_main"] = str(_("A camera needs a stream URL before it is enabled."))
        if self.pk is None or not self.valid_authorisations().exists():
            blockers["enabled"] = str(
                _("A camera needs a valid prefectoral authorisation before it is enabled.")
            )
        return blockers

    def valid_authorisations(self, on: date | None = None) -> models.QuerySet[Authorisation]:
        return Authorisation.objects.unrestricted().filter(in_force(on), cameras=self)


class CameraOwned(RestrictedModel):
    """A row of another app (a segment, a health state…) that belongs to the member
    owning its camera."""

    member_path: ClassVar[str] = "camera__member"

    class Meta:
        abstract = True

    def owner_member_id(self) -> int | None:
        camera_id = getattr(self, "camera_id", None)
        if camera_id is None:
            return None
        return (
            Camera.objects.unrestricted()
            .filter(pk=camera_id)
            .values_list("member_id", flat=True)
            .first()
        )


class Authorisation(RestrictedModel):
    """A prefectoral authorisation (CSI L252-4): 5 years, renewal due 4 months ahead."""

    member = _member("authorisations")
    number = models.CharField(_("number"), max_length=100)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"))
    prefecture = models.CharField(_("prefecture"), max_length=100, blank=True)
    cameras = models.ManyToManyField(
        Camera, blank=True, related_name="authorisations", verbose_name=_("cameras")
    )
    camera_count_authorised = models.PositiveIntegerField(
        _("cameras authorised"), null=True, blank=True
    )
    revoked = models.BooleanField(_("revoked"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["expires_on"]
        verbose_name = _("prefectoral authorisation")
        verbose_name_plural = _("prefectoral authorisations")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "number"], name="authorisation_unique_number_per_member"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("issued_on")),
                name="authorisation_expires_after_issue",
                violation_error_message=_("The expiry date must follow the issue date."),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        super().clean()
        if self.issued_on and self.expires_on:
            limit = _add_years(self.issued_on, legal.AUTHORISATION_VALIDITY_YEARS)
            if self.expires_on > limit:
                raise ValidationError(
                    {
                        "expires_on": _("An authorisation lasts 5 years at most (until %(d)s).")
                        % {"d": limit.isoformat()}
                    }
                )

    def is_valid(self, on: date | None = None) -> bool:
        day = on or timezone.localdate()
        return not self.revoked and self.issued_on <= day <= self.expires_on

    def expires_soon(self, on: date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.is_valid(day) and self.expires_on <= day + legal.AUTHORISATION_RENEWAL_NOTICE


def in_force(on: date | None = None) -> Q:
    """Authorisations valid on ``on`` (default today): the one definition of "valid"."""
    day = on or timezone.localdate()
    return Q(revoked=False, issued_on__lte=day, expires_on__gte=day)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _belongs(obj: Any, target: Any) -> bool:
    return target is None or target.member_id == obj.member_id


def _same_member(obj: Any, field: str, target: Any) -> None:
    if not _belongs(obj, target):
        raise ValidationError({field: _("It belongs to another member.")})

"""Judicial requisitions, their footage ranges, review hours, exports, deliveries and the
yearly statistics entered by hand for past years.

Every row is owned by a member (through its requisition for the dependent rows);
writes go through ``vigie.evidence.services`` and ``vigie.evidence.exports``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.core import legal
from vigie.core.models import RestrictedModel
from vigie.evidence.workflow import Status
from vigie.inventory.models import Camera
from vigie.recording.models import LegalHold
from vigie.tenancy.models import Member

# Days an officer's requisition is due after its receipt, unless they set a date.
DEFAULT_DEADLINE_DAYS = 15


def deadline_days() -> int:
    return int(getattr(settings, "VIGIE_REQUISITION_DEADLINE_DAYS", DEFAULT_DEADLINE_DAYS))


class Service(models.TextChoices):
    POLICE_NATIONALE = "police_nationale", _("Police nationale")
    GENDARMERIE = "gendarmerie", _("Gendarmerie")
    POLICE_MUNICIPALE = "police_municipale", _("Police municipale")
    OTHER = "other", _("Other")


class Outcome(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    DIRECT = "direct", _("Direct")
    CANCELLED = "cancelled", _("Cancelled")


class Requisition(RestrictedModel):
    """A judicial requisition (réquisition judiciaire) naming cameras and time ranges."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="requisitions", verbose_name=_("member")
    )
    service = models.CharField(_("requesting service"), max_length=30, choices=Service)
    officer_name = models.CharField(_("officer's name"), max_length=150)
    officer_id = models.CharField(
        _("officer's ID"), max_length=50, blank=True, help_text=_("Matricule, RIO number.")
    )
    procedure_number = models.CharField(_("procedure number"), max_length=100)
    received_on = models.DateField(_("received on"), default=date.today)
    deadline = models.DateField(
        _("deadline"), null=True, blank=True, help_text=_("By default, some days after receipt.")
    )
    facts = models.TextField(_("facts"), help_text=_("The facts in a few words."))
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.RECEIVED, editable=False
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by"),
        editable=False,
    )
    created = models.DateTimeField(_("filed at"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("requisition")
        verbose_name_plural = _("requisitions")
        indexes = [models.Index(fields=["member", "received_on"], name="requisition_member_rcv")]

    def __str__(self) -> str:
        return self.procedure_number

    def clean(self) -> None:
        super().clean()
        for name in ("officer_name", "procedure_number", "facts"):
            if not (getattr(self, name) or "").strip():
                raise ValidationError({name: _("This field cannot be blank.")})
        if self.deadline is None and self.received_on is not None:
            self.deadline = self.received_on + timedelta(days=deadline_days())
        if self.deadline and self.received_on and self.deadline < self.received_on:
            raise ValidationError({"deadline": _("The deadline cannot precede the receipt.")})

    @property
    def open(self) -> bool:
        return self.status not in (Status.CLOSED, Status.CANCELLED)

    @property
    def late(self) -> bool:
        """Still open past its deadline (delivered ones are not late any more)."""
        if self.deadline is None or self.status in (Status.DELIVERED,) or not self.open:
            return False
        return self.deadline < timezone.localdate()


class RequisitionRange(RestrictedModel):
    """One camera over one period named by a requisition; its footage is held."""

    member_path: ClassVar[str] = "requisition__member"

    requisition = models.ForeignKey(
        Requisition, on_delete=models.CASCADE, related_name="ranges", verbose_name=_("requisition")
    )
    camera = models.ForeignKey(
        Camera,
        on_delete=models.PROTECT,
        related_name="requisition_ranges",
        verbose_name=_("camera"),
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    legal_hold = models.ForeignKey(
        LegalHold,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requisition_ranges",
        verbose_name=_("legal hold"),
        editable=False,
    )

    class Meta:
        ordering = ["requisition_id", "start", "camera_id"]
        verbose_name = _("requisition range")
        verbose_name_plural = _("requisition ranges")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="requisition_range_end_after_start",
                violation_error_message=_("The end must follow the start."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.camera} {self.start:%Y-%m-%d %H:%M}"

    def owner_member_id(self) -> int | None:
        return self.requisition.member_id if self.requisition_id else None

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.start and self.end:
            if self.end <= self.start:
                errors["end"] = _("The end must follow the start.")
            elif self.camera_id:
                days = min(self.camera.retention_days, legal.MAX_RETENTION_DAYS)
                if self.end - self.start > timedelta(days=days):
                    errors["end"] = _(
                        "The range is longer than the camera's retention (%(days)s days): "
                        "no footage that old is kept."
                    ) % {"days": days}
        same_member = self.camera_id and self.requisition_id
        if same_member and self.camera.member_id != self.requisition.member_id:
            errors["camera"] = _("This camera belongs to another member.")
        if errors:
            raise ValidationError(errors)


class ReviewTime(RestrictedModel):
    """Hours an operator spent reviewing footage for a requisition, on one day."""

    member_path: ClassVar[str] = "requisition__member"

    requisition = models.ForeignKey(
        Requisition,
        on_delete=models.CASCADE,
        related_name="review_times",
        verbose_name=_("requisition"),
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("operator"),
    )
    date = models.DateField(_("date"), default=date.today)
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("24"))],
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("review time")
        verbose_name_plural = _("review times")
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24),
                name="review_time_hours_in_a_day",
                violation_error_message=_("Between 0 and 24 hours a day."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.operator} {self.date} {self.hours} h"

    def owner_member_id(self) -> int | None:
        return self.requisition.member_id if self.requisition_id else None


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ExportJob(RestrictedModel):
    """An evidence package being made in the background by ``vigie export-worker``.

    Progress is written often: the services journal the export itself (request,
    result) rather than each change of this row.
    """

    member_path: ClassVar[str] = "requisition__member"
    journal_changes: ClassVar[bool] = False

    requisition = models.ForeignKey(
        Requisition,
        on_delete=models.PROTECT,
        related_name="export_jobs",
        verbose_name=_("requisition"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=JobStatus, default=JobStatus.QUEUED
    )
    progress = models.FloatField(
        _("progress"), default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    message = models.CharField(_("message"), max_length=300, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    make_iso = models.BooleanField(_("ISO 9660 image"), default=False)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    package_path = models.CharField(_("package"), max_length=500, blank=True)
    zip_path = models.CharField(_("zip"), max_length=500, blank=True)
    iso_path = models.CharField(_("ISO image"), max_length=500, blank=True)
    manifest_sha256 = models.CharField(_("manifest SHA-256"), max_length=64, blank=True)
    partial = models.BooleanField(_("partial"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        indexes = [models.Index(fields=["status", "created"], name="exportjob_status_created")]

    def __str__(self) -> str:
        return f"{self.requisition} #{self.pk}"

    def owner_member_id(self) -> int | None:
        return self.requisition.member_id if self.requisition_id else None

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class Delivery(RestrictedModel):
    """What was handed to the court or the officer: feeds the court-deliveries register."""

    member_path: ClassVar[str] = "requisition__member"

    requisition = models.ForeignKey(
        Requisition,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("requisition"),
    )
    export_job = models.ForeignKey(
        ExportJob,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("export"),
    )
    delivered_at = models.DateTimeField(_("delivered at"), default=timezone.now)
    officer_name = models.CharField(_("officer's name"), max_length=150)
    medium_reference = models.CharField(
        _("medium reference"), max_length=150, help_text=_("E.g. DVD number, transfer reference.")
    )
    package_sha256 = models.CharField(_("package SHA-256"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
        editable=False,
    )

    class Meta:
        ordering = ["-delivered_at", "-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.requisition} → {self.medium_reference}"

    def owner_member_id(self) -> int | None:
        return self.requisition.member_id if self.requisition_id else None

    def clean(self) -> None:
        super().clean()
        digest = (self.package_sha256 or "").strip().lower()
        if digest and (len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest)):
            raise ValidationError({"package_sha256": _("A SHA-256 is 64 hexadecimal digits.")})
        self.package_sha256 = digest
        job = self.export_job if self.export_job_id else None
        if job is not None and job.requisition_id != self.requisition_id:
            raise ValidationError({"export_job": _("This export is of another requisition.")})


COUNT_FIELDS = (
    "offences",
    "offences_by_operators",
    "viewing_requests",
    "positive",
    "negative",
    "direct",
    "cancelled",
    "with_export",
)


def _count(label: Any) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, null=True, blank=True)


class YearlyStatistics(RestrictedModel):
    """Figures of a past year entered by hand (the brief's yearly table), for a member
    or, with no member, for the whole syndicate. Empty: not known."""

    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="yearly_statistics",
        verbose_name=_("member"),
        help_text=_("Empty: the whole syndicate."),
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    offences = _count(_("offences"))
    offences_by_operators = _count(_("offences spotted by operators"))
    viewing_requests = _count(_("viewing requests"))
    positive = _count(_("positive"))
    negative = _count(_("negative"))
    direct = _count(_("direct"))
    cancelled = _count(_("cancelled"))
    with_export = _count(_("requisitions with export"))
    review_hours = models.DecimalField(
        _("review hours"),
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-year", "member__name"]
        verbose_name = _("yearly statistics")
        verbose_name_plural = _("yearly statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year"], name="yearly_statistics_unique_member_year"
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(member__isnull=True),
                name="yearly_statistics_unique_syndicate_year",
                violation_error_message=_("The syndicate already has figures for this year."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member or _('Syndicate')} {self.year}"

"""What the recorder writes and what keeps footage: segments, gaps, ingest states,
legal holds and the destruction register."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from vigie.core import legal
from vigie.core.models import RestrictedModel
from vigie.inventory.models import Camera, CameraOwned, RecorderNode, StoragePool
from vigie.tenancy.models import Member


class Segment(CameraOwned):
    """One file of recorded footage (MPEG-TS, about 60 s, starting on a keyframe)."""

    journal_changes: ClassVar[bool] = False

    camera = models.ForeignKey(
        Camera, on_delete=models.PROTECT, related_name="segments", verbose_name=_("camera")
    )
    storage_pool = models.ForeignKey(
        StoragePool,
        on_delete=models.PROTECT,
        related_name="segments",
        verbose_name=_("storage pool"),
    )
    path = models.CharField(_("path"), max_length=500, help_text=_("Relative to the pool."))
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"), null=True, blank=True)
    bytes = models.BigIntegerField(_("bytes"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    closed = models.BooleanField(_("closed"), default=False)
    codec = models.CharField(_("codec"), max_length=16, blank=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    # Pictures in the file as the recorder wrote them (the frame rate actually
    # recorded, for the image norms); unknown for FFmpeg's engine and recovered files.
    frames = models.PositiveIntegerField(_("pictures"), null=True, blank=True)

    class Meta:
        ordering = ["camera_id", "start"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        indexes = [
            models.Index(fields=["camera", "start"], name="segment_camera_start"),
            # Disk pressure reads a pool's footage oldest first.
            models.Index(fields=["storage_pool", "start"], name="segment_pool_start"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["storage_pool", "path"], name="segment_unique_path"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="segment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id}@{self.start:%Y-%m-%d %H:%M:%S}"


class GapCause(models.TextChoices):
    CONNECT_FAILED = "connect_failed", _("Camera unreachable")
    SOURCE_ENDED = "source_ended", _("Stream ended")
    STALLED = "stalled", _("No data (stalled)")
    BAD_STREAM = "bad_stream", _("Stream not recordable")
    UNAUTHORISED = "unauthorised", _("No valid authorisation")
    DISABLED = "disabled", _("Camera disabled")
    DISK_FULL = "disk_full", _("Storage full")
    RECORDER_DOWN = "recorder_down", _("Recorder stopped")


class Gap(CameraOwned):
    """A period without footage, with its cause (open while it lasts)."""

    journal_changes: ClassVar[bool] = False

    camera = models.ForeignKey(
        Camera, on_delete=models.CASCADE, related_name="gaps", verbose_name=_("camera")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=20, choices=GapCause)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        ordering = ["camera_id", "start"]
        verbose_name = _("gap")
        verbose_name_plural = _("gaps")
        indexes = [models.Index(fields=["camera", "start"], name="gap_camera_start")]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.cause} {self.start:%Y-%m-%d %H:%M:%S}"


class IngestState(models.TextChoices):
    RECORDING = "recording", _("Recording")
    RECONNECTING = "reconnecting", _("Reconnecting")
    STALLED = "stalled", _("Stalled")
    UNAUTHORISED = "unauthorised", _("Not authorised")
    DISABLED = "disabled", _("Disabled")
    DISK_FULL = "disk_full", _("Storage full")
    STOPPED = "stopped", _("Not recorded")


class CameraRecordingState(CameraOwned):
    """The recorder's view of one camera, updated as it changes."""

    journal_changes: ClassVar[bool] = False

    camera = models.OneToOneField(
        Camera, on_delete=models.CASCADE, related_name="recording_state", verbose_name=_("camera")
    )
    node = models.ForeignKey(
        RecorderNode, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=20, choices=IngestState, default=IngestState.STOPPED
    )
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    since = models.DateTimeField(_("since"))
    last_data_at = models.DateTimeField(_("last data"), null=True, blank=True)
    restarts = models.PositiveIntegerField(_("restarts"), default=0)

    class Meta:
        verbose_name = _("recording state")
        verbose_name_plural = _("recording states")

    def __str__(self) -> str:
        return f"{self.camera_id}: {self.state}"


class LegalHold(RestrictedModel):
    """Footage frozen for a judicial procedure: nothing deletes it until released."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="legal_holds", verbose_name=_("member")
    )
    cameras = models.ManyToManyField(Camera, related_name="legal_holds", verbose_name=_("cameras"))
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.TextField(_("reason"))
    reference = models.CharField(
        _("reference"), max_length=100, help_text=_("Procedure or requisition number.")
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
    )
    placed_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    release_reason = models.TextField(_("release reason"), blank=True)

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="hold_end_after_start",
                violation_error_message=_("The end must follow the start."),
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def active(self) -> bool:
        return self.released_at is None

    def clean(self) -> None:
        super().clean()
        if not (self.reason or "").strip():
            raise ValidationError({"reason": _("Give the reason for the hold.")})


class DestructionCause(models.TextChoices):
    RETENTION = "retention", _("Retention period over")
    DISK_PRESSURE = "disk_pressure", _("Storage full")
    USER = "user", _("Deleted by a person")


class DestructionRecord(RestrictedModel):
    """The register of destroyed footage (camera, period, count, date)."""

    journal_changes: ClassVar[bool] = False

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="destructions", verbose_name=_("member")
    )
    camera = models.ForeignKey(
        Camera, on_delete=models.SET_NULL, null=True, blank=True, related_name="destructions"
    )
    camera_name = models.CharField(_("camera"), max_length=150)
    period_start = models.DateTimeField(_("footage from"))
    period_end = models.DateTimeField(_("footage until"))
    segment_count = models.PositiveIntegerField(_("segments"))
    bytes = models.BigIntegerField(_("bytes"))
    destroyed_at = models.DateTimeField(_("destroyed at"), auto_now_add=True)
    cause = models.CharField(_("cause"), max_length=20, choices=DestructionCause)

    class Meta:
        ordering = ["-destroyed_at"]
        verbose_name = _("destruction record")
        verbose_name_plural = _("destruction register")

    def __str__(self) -> str:
        return f"{self.camera_name} {self.period_start:%Y-%m-%d} ({self.segment_count})"


# ---------------------------------------------------------------- retention and disk pressure
# (issue 3: retention, legal holds and disk pressure; the services are in services.py)


class MemberRecordingPolicy(RestrictedModel):
    """A member's choices about its footage beyond the cameras' retention.

    ``min_days_kept``: when a storage pool fills up, footage younger than this is never
    deleted to make room; the recorder stops writing instead (Milestone's rule, not
    Frigate's). Without a policy the minimum is 0 days: the oldest unheld footage goes
    first.
    """

    member = models.OneToOneField(
        Member,
        on_delete=models.CASCADE,
        related_name="recording_policy",
        verbose_name=_("member"),
    )
    min_days_kept = models.PositiveSmallIntegerField(
        _("minimum days kept on a full disk"),
        default=0,
        validators=[MaxValueValidator(legal.MAX_RETENTION_DAYS)],
        help_text=_("Footage younger than this is never deleted to free space (0–30)."),
    )
    # Privacy masks (CSI L251-3): whether anyone may ever see this member's masked
    # areas. Off by default; even when on, lifting needs the ``lift_mask`` right on the
    # camera, a reason, and is journaled (vigie.recording.masks).
    masks_may_be_lifted = models.BooleanField(
        _("privacy masks may be lifted"),
        default=False,
        help_text=_(
            "If unchecked, nobody may see the masked areas of this member's cameras, "
            "whatever their rights."
        ),
    )

    class Meta:
        verbose_name = _("recording policy")
        verbose_name_plural = _("recording policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_days_kept__lte=legal.MAX_RETENTION_DAYS),
                name="recording_policy_min_days_within_legal_bounds",
                violation_error_message=_("The minimum must be between 0 and 30 days."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.min_days_kept} d"


class AlarmSeverity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    WARNING = "warning", _("Warning")


class StorageAlarm(RestrictedModel):
    """A storage pool that cannot take more footage. While one is active (not cleared)
    the recorder must not write on that pool (``services.pool_writable``)."""

    member_path: ClassVar[str] = "storage_pool__member"
    # Raised and cleared by services, which journal both with their cause.
    journal_changes: ClassVar[bool] = False

    storage_pool = models.ForeignKey(
        StoragePool,
        on_delete=models.CASCADE,
        related_name="alarms",
        verbose_name=_("storage pool"),
    )
    raised_at = models.DateTimeField(_("raised at"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=AlarmSeverity, default=AlarmSeverity.CRITICAL
    )
    message = models.CharField(_("message"), max_length=500)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("storage alarm")
        verbose_name_plural = _("storage alarms")
        constraints = [
            # Raised once: a second active alarm on the same pool is refused by the database.
            models.UniqueConstraint(
                fields=["storage_pool"],
                condition=Q(cleared_at__isnull=True),
                name="storage_alarm_one_active_per_pool",
            )
        ]

    def __str__(self) -> str:
        return f"{self.storage_pool_id} {self.severity} {self.raised_at:%Y-%m-%d %H:%M}"

    @property
    def active(self) -> bool:
        return self.cleared_at is None

    def owner_member_id(self) -> int | None:
        pool_id = getattr(self, "storage_pool_id", None)
        if pool_id is None:
            return None
        return (
            StoragePool.objects.unrestricted()
            .filter(pk=pool_id)
            .values_list("member_id", flat=True)
            .first()
        )


class HeldFootageError(ValidationError):
    """Footage under an active legal hold: nothing deletes it, whoever asks."""


# Holds read by a deleter that holds the camera row's lock (place_hold takes the same
# lock, so no hold can appear meanwhile): the guard checks each row against them rather
# than querying once per row.
_LOCKED_HOLDS: ContextVar[dict[int, tuple[tuple[datetime, datetime], ...]] | None] = ContextVar(
    "vigie_locked_holds", default=None
)


@contextmanager
def camera_holds_locked(
    camera_id: int, spans: Iterable[tuple[datetime, datetime]]
) -> Iterator[None]:
    """Within this block the caller holds ``camera_id``'s row lock and has read its
    active holds (``spans``, (start, end) pairs) under it."""
    token = _LOCKED_HOLDS.set({**(_LOCKED_HOLDS.get() or {}), camera_id: tuple(spans)})
    try:
        yield
    finally:
        _LOCKED_HOLDS.reset(token)


def active_hold_overlaps(camera_id: int, start: datetime, end: datetime | None) -> bool:
    """Whether an active hold on this camera touches [start, end] (end None: still open)."""
    known = (_LOCKED_HOLDS.get() or {}).get(camera_id)
    if known is not None:
        return any(h_end >= start and (end is None or h_start <= end) for h_start, h_end in known)
    holds = LegalHold.objects.unrestricted().filter(
        released_at__isnull=True, cameras=camera_id, end__gte=start
    )
    if end is not None:
        holds = holds.filter(start__lte=end)
    return holds.exists()


@receiver(pre_delete, sender=Segment, dispatch_uid="recording_segment_hold_guard")
def _refuse_deleting_held_footage(sender: Any, instance: Segment, **kwargs: Any) -> None:
    """The last line: whatever deletes a segment (a service, a queryset, the admin, a
    cascade), a segment under an active legal hold is not deleted."""
    if active_hold_overlaps(instance.camera_id, instance.start, instance.end):
        raise HeldFootageError(
            _("This footage is under a legal hold: it cannot be deleted until released.")
        )


# ---------------------------------------------------------------- privacy masks
# (issue 4: a masked camera is never shown unmasked; see docs/masks.md)

MASK_MAX_POLYGONS = 32
MASK_MAX_POINTS = 64


def validate_polygons(value: Any) -> list[list[list[float]]]:
    """The polygons of a mask, checked strictly: a list of polygons, each a list of at
    least 3 [x, y] points with 0 ≤ x, y ≤ 1 (fractions of the picture's width and
    height). Returns them as plain floats; raises ValidationError naming the fault."""
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Give a list of polygons (at least one)."), code="not_list")
    if len(value) > MASK_MAX_POLYGONS:
        raise ValidationError(
            _("At most %(n)d polygons per mask.") % {"n": MASK_MAX_POLYGONS}, code="too_many"
        )
    clean: list[list[list[float]]] = []
    for number, polygon in enumerate(value, start=1):
        if not isinstance(polygon, list):
            raise ValidationError(
                _("Polygon %(n)d is not a list of points.") % {"n": number}, code="not_list"
            )
        if len(polygon) < 3:
            raise ValidationError(
                _("Polygon %(n)d has fewer than 3 points.") % {"n": number}, code="too_few"
            )
        if len(polygon) > MASK_MAX_POINTS:
            raise ValidationError(
                _("Polygon %(n)d has more than %(max)d points.")
                % {"n": number, "max": MASK_MAX_POINTS},
                code="too_many_points",
            )
        clean.append([_point(point, number) for point in polygon])
    return clean


def _point(point: Any, number: int) -> list[float]:
    ok = (
        isinstance(point, list | tuple)
        and len(point) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
    )
    if not ok:
        raise ValidationError(
            _("Polygon %(n)d: each point is a pair [x, y] of numbers.") % {"n": number},
            code="bad_point",
        )
    x, y = float(point[0]), float(point[1])
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):  # also refuses NaN
        raise ValidationError(
            _("Polygon %(n)d: coordinates must be between 0 and 1 (got %(x)s, %(y)s).")
            % {"n": number, "x": x, "y": y},
            code="out_of_range",
        )
    return [x, y]


class PrivacyMask(CameraOwned):
    """Areas of a camera's picture that nobody sees (dwellings, their entrances):
    polygons in fractions of the picture (0..1), so that they fit any resolution.
    Live, playback and exports of a camera with an enabled mask are served masked."""

    camera = models.ForeignKey(
        Camera, on_delete=models.CASCADE, related_name="privacy_masks", verbose_name=_("camera")
    )
    label = models.CharField(_("label"), max_length=100)
    polygons = models.JSONField(
        _("polygons"),
        default=list,
        help_text=_("A list of polygons, each a list of [x, y] points between 0 and 1."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    # Bumped on each save: part of the masked renditions' cache keys.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["camera_id", "label", "pk"]
        verbose_name = _("privacy mask")
        verbose_name_plural = _("privacy masks")

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        super().clean()
        if not (self.label or "").strip():
            raise ValidationError({"label": _("Give the mask a label.")})
        try:
            self.polygons = validate_polygons(self.polygons)
        except ValidationError as exc:
            raise ValidationError({"polygons": exc.messages}) from None

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            self.version = (self.version or 0) + 1
        super().save(*args, **kwargs)

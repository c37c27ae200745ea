"""Health of the cameras (the last probe, the recorder's view, the state), the history
of their states (from which availability is computed), and each member's supervision
choices."""

from __future__ import annotations

from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigie.core.models import RestrictedModel
from vigie.inventory.models import Camera, CameraOwned
from vigie.tenancy.models import Member


class HealthState(models.TextChoices):
    OK = "ok", _("OK")
    DEGRADED = "degraded", _("Degraded")
    DOWN = "down", _("Down")
    # Disabled or decommissioned: not supervised, and absent from availability.
    UNSUPERVISED = "unsupervised", _("Not supervised")


# States in which a camera counts as available (its images exist and are usable).
UP_STATES = frozenset({HealthState.OK, HealthState.DEGRADED})


class _CameraOwned(CameraOwned):
    # Written by the supervision loop at every probe round; the state history is the
    # record of what matters.
    journal_changes: ClassVar[bool] = False

    class Meta:
        abstract = True


class CameraHealth(_CameraOwned):
    """The current health of one camera: its state and why, its last probe, and the
    stream as the recorder writes it."""

    camera = models.OneToOneField(
        Camera, on_delete=models.CASCADE, related_name="health", verbose_name=_("camera")
    )
    state = models.CharField(_("state"), max_length=14, choices=HealthState)
    since = models.DateTimeField(_("since"))
    cause = models.CharField(_("cause"), max_length=500, blank=True)
    # The last probe (TCP, then RTSP DESCRIBE).
    probed_at = models.DateTimeField(_("probed at"), null=True, blank=True)
    reachable = models.BooleanField(_("reachable"), default=False)
    rtsp_status = models.PositiveSmallIntegerField(_("RTSP status"), null=True, blank=True)
    latency_ms = models.FloatField(_("latency (ms)"), null=True, blank=True)
    probe_error = models.CharField(_("probe error"), max_length=300, blank=True)
    codec = models.CharField(_("codec"), max_length=16, blank=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    fps = models.FloatField(_("frames per second"), null=True, blank=True)
    # The recorder's view (from its state row and its last segments).
    recording_state = models.CharField(_("recording"), max_length=20, blank=True)
    recorded_codec = models.CharField(_("recorded codec"), max_length=16, blank=True)
    recorded_width = models.PositiveIntegerField(_("recorded width"), null=True, blank=True)
    recorded_height = models.PositiveIntegerField(_("recorded height"), null=True, blank=True)
    recorded_fps = models.FloatField(_("recorded frames per second"), null=True, blank=True)
    bitrate_kbps = models.PositiveIntegerField(_("bit rate (kbit/s)"), null=True, blank=True)
    last_keyframe_at = models.DateTimeField(_("last keyframe"), null=True, blank=True)
    gaps_last_hour = models.PositiveIntegerField(_("gaps in the last hour"), default=0)
    norms_ok = models.BooleanField(_("meets the image norms"), null=True, blank=True)
    norms_detail = models.CharField(_("image norms"), max_length=300, blank=True)
    # Since when it is down or not recording (what opens a ticket), and whether the
    # automatic ticket of this outage was opened.
    trouble_since = models.DateTimeField(_("trouble since"), null=True, blank=True)
    ticket_opened = models.BooleanField(_("ticket opened"), default=False)

    class Meta:
        ordering = ["camera_id"]
        verbose_name = _("camera health")
        verbose_name_plural = _("camera health")
        indexes = [models.Index(fields=["state"], name="camerahealth_state")]

    def __str__(self) -> str:
        return f"{self.camera}: {self.get_state_display()}"


class HealthChange(_CameraOwned):
    """One change of a camera's state: the history availability is computed from."""

    camera = models.ForeignKey(
        Camera, on_delete=models.CASCADE, related_name="health_changes", verbose_name=_("camera")
    )
    state = models.CharField(_("state"), max_length=14, choices=HealthState)
    at = models.DateTimeField(_("at"))
    cause = models.CharField(_("cause"), max_length=500, blank=True)

    class Meta:
        ordering = ["camera_id", "at", "pk"]
        verbose_name = _("health change")
        verbose_name_plural = _("health history")
        indexes = [
            models.Index(fields=["camera", "at"], name="healthchange_camera_at"),
            models.Index(fields=["at"], name="healthchange_at"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.state} {self.at:%Y-%m-%d %H:%M:%S}"


class SupervisionPolicy(RestrictedModel):
    """A member's supervision choices; without one the global default applies."""

    member = models.OneToOneField(
        Member,
        on_delete=models.CASCADE,
        related_name="supervision_policy",
        verbose_name=_("member"),
    )
    ticket_after_minutes = models.PositiveIntegerField(
        _("open a ticket after (minutes)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
        help_text=_("A camera down or not recording for this long opens one ticket."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("supervision policy")
        verbose_name_plural = _("supervision policies")

    def __str__(self) -> str:
        return f"{self.member}: {self.ticket_after_minutes} min"

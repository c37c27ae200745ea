"""Tickets of the service desk, their comments, history and escalations (docs/servicedesk.md).

Deadlines come from the pure engine `sla.py`; `services.py` is the only writer. A
ticket belongs to a member (town); its comments, status changes and escalations reach
their member through the ticket. Contractors and per-user notifications are not
member-owned: contractors are the syndicate's, a notification is its recipient's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vigie.core.models import RestrictedModel
from vigie.servicedesk import sla


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Request")


class Category(models.TextChoices):
    CAMERA = "camera", _("Camera")
    NETWORK = "network", _("Network")
    RECORDER = "recorder", _("Recorder")
    STORAGE = "storage", _("Storage")
    IT = "it", _("IT")


class Impact(models.IntegerChoices):
    I1 = sla.Impact.I1, _("i1 — total outage or major cyber risk")
    I2 = sla.Impact.I2, _("i2 — partial outage or malfunction")
    I3 = sla.Impact.I3, _("i3 — minor degradation or request")


class Urgency(models.IntegerChoices):
    U1 = sla.Urgency.U1, _("U1 — essential services of the town")
    U2 = sla.Urgency.U2, _("U2 — standard services")


class Priority(models.IntegerChoices):
    P1 = sla.Priority.P1, _("P1 — major incident")
    P2 = sla.Priority.P2, _("P2 — sensitive incident")
    P3 = sla.Priority.P3, _("P3 — standard incident or request")
    P4 = sla.Priority.P4, _("P4 — on appointment")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_MEMBER = "waiting_member", _("Waiting for the member")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_MEMBER)

# Which status may follow which (services.change_status enforces it).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.WAITING_MEMBER,
        Status.RESOLVED,
        Status.CANCELLED,
    ),
    Status.ASSIGNED: (
        Status.NEW,
        Status.IN_PROGRESS,
        Status.WAITING_MEMBER,
        Status.RESOLVED,
        Status.CANCELLED,
    ),
    Status.IN_PROGRESS: (
        Status.ASSIGNED,
        Status.WAITING_MEMBER,
        Status.RESOLVED,
        Status.CANCELLED,
    ),
    Status.WAITING_MEMBER: (
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.CANCELLED,
    ),
    Status.RESOLVED: (Status.IN_PROGRESS, Status.CLOSED),
    Status.CLOSED: (),
    Status.CANCELLED: (),
}

MAX_LEVEL = 3  # N1 the desk, N2 and N3 the contractors or the management


class Contractor(models.Model):
    """A company the syndicate calls at level 2 or 3 (syndicate-wide, not a member's)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    level = models.PositiveSmallIntegerField(
        _("level"),
        choices=[(2, _("Level 2")), (3, _("Level 3"))],
        validators=[MinValueValidator(2), MaxValueValidator(MAX_LEVEL)],
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["level", "name"]
        verbose_name = _("contractor")
        verbose_name_plural = _("contractors")
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=2, level__lte=MAX_LEVEL), name="sd_contractor_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (N{self.level})"


class DeskSettings(RestrictedModel):
    """A member's choices for its automatic tickets (one row per member, optional)."""

    member = models.OneToOneField(
        "tenancy.Member",
        on_delete=models.CASCADE,
        related_name="desk_settings",
        verbose_name=_("member"),
    )
    auto_resolve = models.BooleanField(
        _("resolve automatic tickets on recovery"),
        default=False,
        help_text=_("When the camera comes back, resolve its automatic ticket."),
    )
    automatic_impact = models.PositiveSmallIntegerField(
        _("impact of automatic tickets"), choices=Impact, default=Impact.I2
    )
    automatic_urgency = models.PositiveSmallIntegerField(
        _("urgency of automatic tickets"), choices=Urgency, default=Urgency.U2
    )

    class Meta:
        verbose_name = _("service desk settings")
        verbose_name_plural = _("service desk settings")

    def __str__(self) -> str:
        return str(self.member)


class Ticket(RestrictedModel):
    member = models.ForeignKey(
        "tenancy.Member", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("member")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.INCIDENT)
    category = models.CharField(_("category"), max_length=10, choices=Category)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    camera = models.ForeignKey(
        "inventory.Camera",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("camera"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_tickets",
        verbose_name=_("reporter"),
    )
    # "automatic" for the supervision, else the reporter's name when they were created.
    reporter_name = models.CharField(_("reported by"), max_length=150, blank=True)
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact, default=Impact.I3)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency, default=Urgency.U2)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority, editable=False)
    # Town users propose impact and urgency; the desk confirms them.
    qualified = models.BooleanField(_("priority confirmed by the desk"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assigned technician"),
    )
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("contractor"),
    )
    automatic = models.BooleanField(_("automatic"), default=False)
    source_key = models.CharField(_("source"), max_length=100, blank=True)
    opened_at = models.DateTimeField(_("opened"))
    paused_since = models.DateTimeField(_("waiting for the member since"), null=True, blank=True)
    # P4: the convention sets no delay; the date agreed with the member is the deadline.
    appointment = models.DateTimeField(_("appointment"), null=True, blank=True)
    intervention_due = models.DateTimeField(_("intervention due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first answer"), null=True, blank=True)
    intervened_at = models.DateTimeField(_("intervention"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    intervention_breached = models.BooleanField(_("intervention deadline missed"), default=False)
    resolution_breached = models.BooleanField(_("resolution deadline missed"), default=False)
    escalation_level = models.PositiveSmallIntegerField(
        _("level"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_LEVEL)]
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [models.Index(fields=["member", "status"]), models.Index(fields=["opened_at"])]
        constraints = [
            # One open automatic ticket per outage source: the database says it too.
            models.UniqueConstraint(
                fields=["source_key"],
                condition=Q(automatic=True, status__in=[str(s) for s in OPEN_STATUSES]),
                name="sd_one_open_ticket_per_source",
            ),
            models.CheckConstraint(
                condition=Q(assignee__isnull=True) | Q(contractor__isnull=True),
                name="sd_one_assignee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"T-{self.pk:06d}" if self.pk else "T-new"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def alsace_moselle(self) -> bool:
        return sla.is_alsace_moselle(self.member.departement)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Stored for filters and reports; always the convention's matrix of the pair.
        computed = self.computed_priority()
        self.priority = computed if computed is not None else 0  # 0: refused by validation
        super().save(*args, **kwargs)

    def computed_priority(self) -> int | None:
        try:
            return int(sla.priority(self.impact, self.urgency))
        except ValueError:
            return None  # the field validation names the bad value

    def clean(self) -> None:
        super().clean()
        if self.camera_id is not None and self.member_id is not None:
            from vigie.inventory.models import Camera

            owner = (
                Camera.objects.unrestricted()
                .filter(pk=self.camera_id)
                .values_list("member_id", flat=True)
                .first()
            )
            if owner != self.member_id:
                raise ValidationError({"camera": _("This camera belongs to another member.")})
        if self.assignee_id is not None and self.contractor_id is not None:
            raise ValidationError(_("Assign a technician or a contractor, not both."))


class TicketComment(RestrictedModel):
    member_path: ClassVar[str] = "ticket__member"

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="comments", verbose_name=_("ticket")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    author_name = models.CharField(_("author"), max_length=150, blank=True)
    text = models.TextField(_("text"), max_length=10_000)
    # Desk-only notes: the member's users never see them.
    internal = models.BooleanField(_("internal"), default=False)
    created = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.text[:40]}"

    def owner_member_id(self) -> int | None:
        return self.ticket.member_id


class TicketStatusChange(RestrictedModel):
    """The history of a ticket's status; its waiting_member periods are the SLA pauses."""

    member_path: ClassVar[str] = "ticket__member"

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("ticket")
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Status, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    by_name = models.CharField(_("by"), max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.from_status or '—'} → {self.to_status}"

    def owner_member_id(self) -> int | None:
        return self.ticket.member_id


class TicketEscalation(RestrictedModel):
    """One escalation sent: each reason at most once per ticket (sla.escalation_due is a
    pure decision; this row is the memory of what was already notified)."""

    member_path: ClassVar[str] = "ticket__member"

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("ticket")
    )
    reason = models.CharField(
        _("reason"),
        max_length=30,
        choices=[
            (sla.Escalation.NO_ANSWER.value, _("No answer")),
            (sla.Escalation.INTERVENTION_BREACHED.value, _("Intervention deadline missed")),
            (sla.Escalation.RESOLUTION_BREACHED.value, _("Resolution deadline missed")),
        ],
    )
    level = models.PositiveSmallIntegerField(_("level notified"))
    at = models.DateTimeField(_("at"))
    recipients = models.TextField(_("recipients"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "reason"], name="sd_escalation_once")
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.reason} → N{self.level}"

    def owner_member_id(self) -> int | None:
        return self.ticket.member_id


class Notification(models.Model):
    """A message in one person's notification list (and the count in the page header)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("person"),
    )
    text = models.CharField(_("text"), max_length=500)
    link = models.CharField(_("link"), max_length=300, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("ticket"),
    )
    read = models.BooleanField(_("read"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read"])]

    def __str__(self) -> str:
        return self.text

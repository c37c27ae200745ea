"""The journal: append-only, each entry chained to the previous one by its hash."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from vigie.core.models import RestrictedModel


class AppendOnlyError(RuntimeError):
    """Journal entries are never changed nor deleted."""


class JournalEntryQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the journal is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the journal is append-only")


class JournalEntry(models.Model):
    at = models.DateTimeField(_("time"), db_index=True)
    actor_name = models.CharField(_("actor"), max_length=150)
    actor_user_id = models.BigIntegerField(_("actor user id"), null=True, blank=True)
    actor_system = models.BooleanField(_("system actor"), default=False)
    member_id = models.BigIntegerField(_("member id"), null=True, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_ids = models.JSONField(_("object ids"), default=list)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    source_address = models.CharField(_("source address"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = JournalEntryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("the journal is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("the journal is append-only")


# ---------------------------------------------------------------- rights of persons
# (issue 4, item 6; GDPR art. 12, 15, 17, 21 and CSI L253-5: a filmed person may ask to
# see the footage of them; third parties are masked in what they are shown)


class SubjectRequestKind(models.TextChoices):
    ACCESS = "access", _("Access")
    ERASURE = "erasure", _("Erasure")
    OBJECTION = "objection", _("Objection")
    OTHER = "other", _("Other")


class SubjectRequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    SEARCHING = "searching", _("Searching the footage")
    FOUND = "found", _("Footage found")
    NOT_FOUND = "not_found", _("No footage found")
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused")
    CLOSED = "closed", _("Closed")


class SubjectRequest(RestrictedModel):
    """A filmed person's request about the footage of them, tracked to its answer.

    Data minimisation: the requester's name and a way to answer them, and at most a
    reference to the identity document shown (its kind and last digits), never a copy.
    """

    member = models.ForeignKey(
        "tenancy.Member",
        on_delete=models.PROTECT,
        related_name="subject_requests",
        verbose_name=_("member"),
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=SubjectRequestKind, default=SubjectRequestKind.ACCESS
    )
    received_on = models.DateField(_("received on"))
    requester_name = models.CharField(_("requester"), max_length=200)
    requester_contact = models.CharField(
        _("contact"), max_length=300, help_text=_("Postal or e-mail address to answer to.")
    )
    identity_reference = models.CharField(
        _("identity document"),
        max_length=100,
        blank=True,
        help_text=_("Kind and last digits of the document shown (e.g. CNI …1234); never a copy."),
    )
    place = models.CharField(_("place"), max_length=300)
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    cameras = models.ManyToManyField(
        "inventory.Camera",
        blank=True,
        related_name="subject_requests",
        verbose_name=_("cameras concerned"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SubjectRequestStatus,
        default=SubjectRequestStatus.RECEIVED,
    )
    deadline = models.DateField(_("answer due by"), editable=False)
    extension_reason = models.TextField(
        _("reason for the extension"),
        blank=True,
        help_text=_("GDPR art. 12(3): two more months, for complex or numerous requests."),
    )
    footage_destroyed_on = models.DateTimeField(
        _("footage destroyed on"),
        null=True,
        blank=True,
        help_text=_("When nothing was found: when the footage was or would have been destroyed."),
    )
    refusal_ground = models.TextField(_("legal ground of the refusal"), blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    extra_polygons = models.JSONField(
        _("extra masks"),
        default=list,
        blank=True,
        help_text=_(
            "Polygons hiding other people in the copy shown to the requester: "
            "each a list of [x, y] points between 0 and 1."
        ),
    )
    hold = models.ForeignKey(
        "recording.LegalHold",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("legal hold"),
    )
    notes = models.TextField(_("notes"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("request from a person")
        verbose_name_plural = _("requests from persons")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="subject_request_window_end_after_start",
                violation_error_message=_("The end must follow the start."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="refused") | ~models.Q(refusal_ground=""),
                name="subject_request_refusal_has_ground",
                violation_error_message=_("A refusal states its legal ground."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.requester_name}"

    @property
    def reference(self) -> str:
        return f"DP-{self.pk or 0:05d}"

    @property
    def extended(self) -> bool:
        return bool((self.extension_reason or "").strip())

    @property
    def open(self) -> bool:
        return self.status not in (
            SubjectRequestStatus.ANSWERED,
            SubjectRequestStatus.REFUSED,
            SubjectRequestStatus.CLOSED,
        )

    def is_late(self, today: Any = None) -> bool:
        """Answered after the deadline, or still unanswered once it has passed."""
        if self.deadline is None:
            return False
        if self.answered_on is not None:
            return self.answered_on > self.deadline
        if not self.open:
            return False
        from django.utils import timezone

        return (today or timezone.localdate()) > self.deadline

    def clean(self) -> None:
        super().clean()
        from vigie.audit.subject_requests import clean_request

        clean_request(self)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived before validation (a required field): the law sets it, nobody types it.
        from vigie.audit.subject_requests import deadline_for

        if self.received_on is not None:
            self.deadline = deadline_for(self.received_on, extended=self.extended)
        super().save(*args, **kwargs)

"""The journal: append-only, each entry chained to the previous one by its hash."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


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

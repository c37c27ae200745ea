"""Base models: isolation by default for everything a member owns.

``Model.objects`` is restricted to what the acting party (vigie.core.actors) may
``view``; ``Model.objects.restrict(who, action)`` asks for another action;
``Model.objects.unrestricted()`` is the explicit, greppable way out.
Every save and delete checks the object is within the actor's reach before and
after the write, inside one transaction, and journals the change.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from vigie.core import actors
from vigie.core.grants import ACTIONS


class IsolationError(PermissionDenied):
    """The object is, or would end up, outside the acting party's reach."""


class NoActorError(PermissionDenied):
    """A write was attempted with nobody acting (no user, job or CLI party)."""


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, who: Any, action: str = "view") -> Self:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        actor = actors.as_actor(who)
        if actor is None:
            return self.none()
        if actor.system:
            return self
        member_path = getattr(self.model, "member_path", "member")
        label = self.model._meta.label_lower
        combined = None
        for grant in actor.grants().for_action(label, action):
            part = grant.q(member_path, actor.user_id)
            if part is None:
                return self
            combined = part if combined is None else combined | part
        if combined is None:
            return self.none()
        restricted = self.filter(combined)
        return restricted.distinct() if "__" in member_path else restricted

    # Bulk writes skip save(): no validation, no isolation re-read, no journal. Only
    # system jobs, which journal what they do themselves, may use them.
    def update(self, **kwargs: Any) -> int:
        _require_system("update")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        _require_system("delete")
        return super().delete()

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[Any]:
        _require_system("bulk_create")
        return super().bulk_create(*args, **kwargs)

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        _require_system("bulk_update")
        return super().bulk_update(*args, **kwargs)


def _require_system(operation: str) -> None:
    actor = actors.current()
    if actor is None or not actor.system:
        raise IsolationError(
            f"{operation} on a queryset is reserved to system jobs: save objects one by one"
        )


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):  # type: ignore[misc]
    """Default manager: only what the current actor may view."""

    def get_queryset(self) -> RestrictedQuerySet:
        return self.unrestricted().restrict(actors.current(), "view")

    def restrict(self, who: Any, action: str = "view") -> RestrictedQuerySet:
        return self.unrestricted().restrict(who, action)

    def unrestricted(self) -> RestrictedQuerySet:
        """Every row, whoever acts. Use for system jobs and integrity checks only."""
        return RestrictedQuerySet(self.model, using=self._db)


def require_actor() -> actors.Actor:
    actor = actors.current()
    if actor is None:
        raise NoActorError("nobody is acting: writes need a user, a job or a CLI party")
    return actor


def _snapshot(obj: models.Model) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        value = f.value_from_object(obj)
        data[f.attname] = value if isinstance(value, int | float | bool | None) else str(value)
    return data


class RestrictedModel(models.Model):
    """A row some member owns; ``member_path`` leads from the row to that member's id."""

    member_path: ClassVar[str] = "member"
    # Operational rows written by services at a high rate (segment index, ingest
    # states) set this False: the services journal what matters about them instead.
    journal_changes: ClassVar[bool] = True

    objects = RestrictedManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        actor = require_actor()
        adding = self._state.adding or self.pk is None
        with transaction.atomic():
            before: dict[str, Any] | None = None
            if not adding:
                old = type(self).objects.unrestricted().filter(pk=self.pk).first()
                if old is None:
                    adding = True
                else:
                    before = _snapshot(old)
                    if not actor.system and not self.within_reach(actor, "change", self.pk):
                        raise IsolationError("this object is outside your reach")
            # Validation runs on every save, whatever the entry point (form, API, import, CLI).
            self.full_clean()
            super().save(*args, **kwargs)
            action = "add" if adding else "change"
            if not actor.system and not self.within_reach(actor, action, self.pk):
                raise IsolationError("the object would leave your reach: refused")
            after = _snapshot(self)
            changes = {
                k: [None if before is None else before.get(k), v]
                for k, v in after.items()
                if before is None or before.get(k) != v
            }
            if before is None or changes:
                self._journal("create" if adding else "update", {"changes": changes})

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        actor = require_actor()
        with transaction.atomic():
            if not actor.system and not self.within_reach(actor, "delete", self.pk):
                raise IsolationError("this object is outside your reach")
            snapshot = _snapshot(self)
            self._journal("delete", {"deleted": snapshot})
            return super().delete(*args, **kwargs)

    @classmethod
    def within_reach(cls, who: Any, action: str, pk: Any) -> bool:
        return cls.objects.restrict(who, action).filter(pk=pk).exists()

    def owner_member_id(self) -> int | None:
        """The owning member's id, for the journal; models with a longer path override."""
        if self.member_path == "pk":
            return self.pk
        value = getattr(self, f"{self.member_path}_id", None)
        return value if isinstance(value, int) else None

    def _journal(self, action: str, details: dict[str, Any]) -> None:
        if not self.journal_changes:
            return
        from vigie.audit.services import journal

        journal(
            f"{self._meta.label_lower}.{action}",
            objects=[self],
            member_id=self.owner_member_id(),
            details=details,
        )

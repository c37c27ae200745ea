"""The requisition workflow as a pure table: which status may follow which.

received → under_review → positive / negative → exported → delivered → closed; a
requisition may be cancelled until it is delivered, and *direct* records images
watched live during the event. ``exported`` is reached by a finished export job and
``delivered`` by recording a delivery, never by hand; closing and cancelling end it
(the legal hold is then released by the services).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    UNDER_REVIEW = "under_review", _("Under review")
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    DIRECT = "direct", _("Direct (watched live)")
    EXPORTED = "exported", _("Exported")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


S = Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.UNDER_REVIEW, S.DIRECT, S.CANCELLED}),
    S.UNDER_REVIEW: frozenset({S.POSITIVE, S.NEGATIVE, S.CANCELLED}),
    S.POSITIVE: frozenset({S.EXPORTED, S.CLOSED, S.CANCELLED}),
    S.NEGATIVE: frozenset({S.CLOSED}),
    S.DIRECT: frozenset({S.EXPORTED, S.CLOSED}),
    S.EXPORTED: frozenset({S.DELIVERED, S.CANCELLED}),
    S.DELIVERED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Reached only through their own act (an export job, a delivery), not by a plain transition.
AUTOMATIC = frozenset({S.EXPORTED, S.DELIVERED})
# The statuses that end a requisition: its legal hold is released.
FINAL = frozenset({S.CLOSED, S.CANCELLED})
# The outcome each status records for the yearly statistics (kept once the
# requisition moves on to exported, delivered or closed).
OUTCOMES: dict[str, str] = {S.POSITIVE: "positive", S.NEGATIVE: "negative", S.DIRECT: "direct"}
# Statuses from which footage may be exported (again).
EXPORTABLE = frozenset({S.POSITIVE, S.DIRECT, S.EXPORTED, S.DELIVERED})
# Statuses in which a delivery may be recorded.
DELIVERABLE = frozenset({S.EXPORTED, S.DELIVERED})


class TransitionError(ValueError):
    """The asked status may not follow the current one."""


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check(current: str, target: str, *, manual: bool = True) -> None:
    """Raise TransitionError, naming both statuses, unless ``target`` may follow."""
    current, target = _plain(current), _plain(target)
    if target not in TRANSITIONS:
        raise TransitionError(f"unknown status {target!r}")
    if manual and target in AUTOMATIC:
        raise TransitionError(
            f"{target!r} is reached by an export or a delivery, not by hand (now {current!r})"
        )
    if not allowed(current, target):
        nexts = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none"
        raise TransitionError(f"{current!r} cannot become {target!r} (possible: {nexts})")


def _plain(status: str) -> str:
    return str(getattr(status, "value", status))


def manual_targets(current: str) -> list[str]:
    """The statuses a person may choose next, in the table's order."""
    return [s.value for s in Status if allowed(current, s) and s not in AUTOMATIC]


def outcome_for(target: str, previous_outcome: str) -> str:
    """The outcome to keep after moving to ``target``."""
    if target == S.CANCELLED:
        return "cancelled"
    return OUTCOMES.get(target, previous_outcome)

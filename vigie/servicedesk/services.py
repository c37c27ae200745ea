"""The only writer of the service desk: tickets, comments, status, escalation, notices.

Deadlines come from `sla.py`. A ticket's pauses are its periods in "waiting for the
member", read from its status history. Every write goes through the restricted
models (reach checked, journaled); notifications are best-effort: a mail server that
is down never undoes a ticket (docs/servicedesk.md).

`camera_down` and `camera_recovered` are the supervision's entry points: one open
automatic ticket per camera outage, whoever calls them how often.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.services import journal
from vigie.core import actors
from vigie.core.models import IsolationError, require_actor
from vigie.servicedesk import sla
from vigie.servicedesk.models import (
    MAX_LEVEL,
    OPEN_STATUSES,
    TRANSITIONS,
    Category,
    Contractor,
    DeskSettings,
    Impact,
    Kind,
    Notification,
    Status,
    Ticket,
    TicketComment,
    TicketEscalation,
    TicketStatusChange,
    Urgency,
)

logger = logging.getLogger("vigie.servicedesk")

AUTOMATIC = "automatic"


# ---------------------------------------------------------------- who acts


def _person() -> Any:
    """The acting person's user, or None for a system party (a job, the CLI)."""
    actor = require_actor()
    return None if actor.system else actor.user


def _actor_name() -> str:
    return require_actor().name[:150]


def is_desk(who: Any, ticket: Ticket) -> bool:
    """Whether `who` works this ticket (may change it): the desk, not the member."""
    actor = actors.as_actor(who)
    if actor is None:
        return False
    return actor.system or Ticket.objects.restrict(actor, "change").filter(pk=ticket.pk).exists()


def _require_desk(ticket: Ticket) -> None:
    """Only the desk moves a ticket along (the model checks it again on save)."""
    if not is_desk(require_actor(), ticket):
        raise IsolationError("only the service desk may change this ticket")


def _now(at: datetime | None) -> datetime:
    return at if at is not None else timezone.now()


# ---------------------------------------------------------------- deadlines


def desk_settings(member: Any) -> DeskSettings:
    """The member's settings, or the defaults (unsaved) when it has none."""
    found = DeskSettings.objects.unrestricted().filter(member_id=member.pk).first()
    return found if found is not None else DeskSettings(member=member)


def pauses(ticket: Ticket, until: datetime | None = None) -> list[sla.Pause]:
    """The ticket's periods waiting for the member; one still open ends at `until`
    (left out without it: its length is not known yet)."""
    found: list[sla.Pause] = []
    begin: datetime | None = None
    changes = TicketStatusChange.objects.unrestricted().filter(ticket_id=ticket.pk)
    for change in changes.order_by("at", "pk"):
        if change.to_status == Status.WAITING_MEMBER and begin is None:
            begin = change.at
        elif change.to_status != Status.WAITING_MEMBER and begin is not None:
            found.append((begin, change.at))
            begin = None
    if begin is not None and until is not None and until > begin:
        found.append((begin, until))
    return found


def facts(ticket: Ticket, now: datetime | None = None) -> sla.TicketFacts:
    return sla.TicketFacts(
        impact=ticket.impact,
        urgency=ticket.urgency,
        opened_at=ticket.opened_at,
        alsace_moselle=sla.is_alsace_moselle(ticket.member.departement),
        pauses=tuple(pauses(ticket, now)),
    )


def _apply_deadlines(ticket: Ticket, now: datetime | None = None) -> None:
    known = facts(ticket, now)
    limits = sla.deadlines(known)
    ticket.intervention_due = limits.intervention
    ticket.resolution_due = limits.resolution
    if sla.priority(ticket.impact, ticket.urgency) == sla.Priority.P4:
        ticket.intervention_due = ticket.appointment
    done = ticket.intervened_at or ticket.resolved_at
    if done is not None and known.pauses:
        # Waiting for the member after the intervention does not move its deadline.
        before = tuple(p for p in known.pauses if p[0] < done)
        if before != known.pauses:
            earlier = sla.TicketFacts(
                known.impact, known.urgency, known.opened_at, known.alsace_moselle, before
            )
            ticket.intervention_due = sla.deadlines(earlier).intervention


def _update_breaches(ticket: Ticket, now: datetime) -> None:
    """Set (never clear) the breach flags: a deadline missed stays missed."""
    done_intervention = ticket.intervened_at or ticket.resolved_at
    if sla.breached(ticket.intervention_due, done_intervention, now):
        ticket.intervention_breached = True
    if sla.breached(ticket.resolution_due, ticket.resolved_at, now):
        ticket.resolution_breached = True


def recompute_deadlines(ticket: Ticket, now: datetime | None = None) -> Ticket:
    _apply_deadlines(ticket, now)
    ticket.save()
    return ticket


def time_left(ticket: Ticket, deadline: datetime | None, now: datetime | None = None) -> Any:
    """Business time left before `deadline` (negative: overdue by that much), or None."""
    if deadline is None:
        return None
    now = _now(now)
    level = sla.service_level(ticket.impact, ticket.urgency)
    alsace = sla.is_alsace_moselle(ticket.member.departement)
    if now <= deadline:
        return sla.elapsed_business_time(now, deadline, level.hours, alsace)
    return -sla.elapsed_business_time(deadline, now, level.hours, alsace)


# ---------------------------------------------------------------- tickets


def open_ticket(
    member: Any,
    *,
    category: str,
    title: str,
    kind: str = Kind.INCIDENT,
    description: str = "",
    camera: Any = None,
    impact: int = Impact.I3,
    urgency: int = Urgency.U2,
    opened_at: datetime | None = None,
    automatic: bool = False,
    source_key: str = "",
    qualified: bool | None = None,
) -> Ticket:
    """Open a ticket: priority and deadlines computed, history started, desk notified.

    A member's user proposes impact and urgency; the desk (or the supervision) sets
    them for good (`qualified`)."""
    person = _person()
    with transaction.atomic():
        ticket = Ticket(
            member=member,
            kind=kind,
            category=category,
            title=title,
            description=description,
            camera=camera,
            impact=impact,
            urgency=urgency,
            reporter=person,
            reporter_name=AUTOMATIC if automatic else _actor_name(),
            automatic=automatic,
            source_key=source_key,
            opened_at=_now(opened_at),
        )
        ticket.qualified = qualified if qualified is not None else automatic
        _apply_deadlines(ticket)
        ticket.save()
        _record_status(ticket, "", Status.NEW, ticket.opened_at)
    notify_desk(ticket, _("New ticket %(ref)s: %(title)s") % _ref(ticket))
    return ticket


def _ref(ticket: Ticket) -> dict[str, str]:
    return {"ref": ticket.reference, "title": ticket.title}


def _record_status(ticket: Ticket, before: str, after: str, at: datetime, note: str = "") -> None:
    TicketStatusChange(
        ticket=ticket,
        from_status=before,
        to_status=after,
        at=at,
        by=_person(),
        by_name=_actor_name(),
        note=note[:500],
    ).save()


def _answered(ticket: Ticket, at: datetime) -> None:
    """A person of the desk acted on the ticket: the first answer, if none yet."""
    if ticket.first_response_at is None and _person() is not None:
        ticket.first_response_at = at


# What edit() changes, in the order the edit form shows it.
EDITABLE = ("camera", "category", "kind", "title", "description")


def edit(ticket: Ticket, **changes: Any) -> Ticket:
    """Change a ticket's text, kind, category or camera (not its life: see below)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(ticket, name, value)
    ticket.save()
    return ticket


def save_contractor(contractor: Contractor) -> Contractor:
    """Contractors are the syndicate's: journaled here, as they are no member's rows."""
    require_actor()
    with transaction.atomic():
        adding = contractor.pk is None
        contractor.full_clean()
        contractor.save()
        journal(
            f"servicedesk.contractor.{'create' if adding else 'update'}",
            objects=[contractor],
            details={"name": contractor.name, "level": contractor.level},
        )
    return contractor


def qualify(
    ticket: Ticket,
    impact: int,
    urgency: int,
    *,
    appointment: datetime | None = None,
    at: datetime | None = None,
) -> Ticket:
    """The desk sets impact and urgency: priority and deadlines follow (from the opening).
    A P4 has no computed delay: the appointment agreed with the member is its deadline."""
    _require_desk(ticket)
    at = _now(at)
    with transaction.atomic():
        ticket.impact, ticket.urgency, ticket.qualified = impact, urgency, True
        if appointment is not None:
            ticket.appointment = appointment
        _answered(ticket, at)
        _apply_deadlines(ticket)
        ticket.save()
    return ticket


def assign(
    ticket: Ticket,
    *,
    user: Any = None,
    contractor: Contractor | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Give the ticket to a technician or a contractor (neither: unassign)."""
    _require_desk(ticket)
    if user is not None and contractor is not None:
        raise ValidationError(_("Assign a technician or a contractor, not both."))
    if user is not None and not is_desk(user, ticket):
        raise ValidationError({"assignee": _("This person does not work this member's tickets.")})
    at = _now(at)
    with transaction.atomic():
        ticket.assignee, ticket.contractor = user, contractor
        _answered(ticket, at)
        if ticket.status == Status.NEW and (user is not None or contractor is not None):
            _set_status(ticket, Status.ASSIGNED, at, "")
        ticket.save()
    text = _("Ticket %(ref)s assigned to you: %(title)s") % _ref(ticket)
    if user is not None:
        notify(ticket, text, users=[user])
    if contractor is not None and contractor.email:
        notify(ticket, text, emails=[contractor.email])
    return ticket


def _set_status(ticket: Ticket, to: str, at: datetime, note: str) -> None:
    before = ticket.status
    if to not in TRANSITIONS.get(before, ()):
        raise ValidationError(
            {"status": _("A ticket cannot go from “%(a)s” to “%(b)s”.") % {"a": before, "b": to}}
        )
    if before == Status.WAITING_MEMBER:
        ticket.paused_since = None
    if to == Status.WAITING_MEMBER:
        ticket.paused_since = at
    if to == Status.IN_PROGRESS and ticket.intervened_at is None:
        ticket.intervened_at = at
    if to == Status.RESOLVED:
        ticket.resolved_at = at
        if ticket.intervened_at is None:
            ticket.intervened_at = at  # a resolution is also the intervention
    if before == Status.RESOLVED and to == Status.IN_PROGRESS:
        ticket.resolved_at = None  # reopened
    if to == Status.CLOSED:
        ticket.closed_at = at
    ticket.status = to
    _record_status(ticket, before, to, at, note)


def change_status(ticket: Ticket, to: str, *, note: str = "", at: datetime | None = None) -> Ticket:
    """Move the ticket along its life; leaving "waiting for the member" moves the
    deadlines by the pause."""
    _require_desk(ticket)
    at = _now(at)
    before = ticket.status
    with transaction.atomic():
        if to != Status.CANCELLED:
            _answered(ticket, at)
        _set_status(ticket, to, at, note)
        if before == Status.WAITING_MEMBER or to == Status.WAITING_MEMBER:
            _apply_deadlines(ticket)
        if to == Status.RESOLVED:
            _update_breaches(ticket, at)
        ticket.save()
    if ticket.reporter is not None and ticket.reporter != _person():
        text = _("Ticket %(ref)s is now “%(status)s”.") % {
            "ref": ticket.reference,
            "status": ticket.get_status_display(),
        }
        notify(ticket, text, users=[ticket.reporter])
    return ticket


def resolve(ticket: Ticket, *, note: str = "", at: datetime | None = None) -> Ticket:
    return change_status(ticket, Status.RESOLVED, note=note, at=at)


def close(ticket: Ticket, *, note: str = "", at: datetime | None = None) -> Ticket:
    return change_status(ticket, Status.CLOSED, note=note, at=at)


def comment(
    ticket: Ticket, text: str, *, internal: bool = False, at: datetime | None = None
) -> TicketComment:
    """Add a comment; internal notes are the desk's only. A desk person's public
    comment is an answer to the member (it stops the "no answer" escalation)."""
    at = _now(at)
    desk = is_desk(actors.current(), ticket)
    if internal and not desk:
        raise ValidationError({"internal": _("Only the desk writes internal notes.")})
    with transaction.atomic():
        note = TicketComment(
            ticket=ticket,
            author=_person(),
            author_name=_actor_name(),
            text=text,
            internal=internal,
            created=at,
        )
        note.save()
        if desk and not internal and ticket.first_response_at is None and _person() is not None:
            ticket.first_response_at = at
            ticket.save()
    excerpt = text if len(text) <= 120 else text[:117] + "…"
    message = _("New comment on %(ref)s: %(text)s") % {"ref": ticket.reference, "text": excerpt}
    if desk and not internal and ticket.reporter is not None and ticket.reporter != _person():
        notify(ticket, message, users=[ticket.reporter])
    elif not desk:
        notify(ticket, message, users=[ticket.assignee] if ticket.assignee else desk_users(ticket))
    return note


# ---------------------------------------------------------------- supervision


def camera_source_key(camera: Any) -> str:
    return f"camera:{camera.pk}"


def _open_automatic(key: str) -> Ticket | None:
    return (
        Ticket.objects.unrestricted()
        .select_related("member")
        .filter(automatic=True, source_key=key, status__in=OPEN_STATUSES)
        .order_by("pk")
        .first()
    )


def camera_down(camera: Any, since: datetime, cause: str, *, at: datetime | None = None) -> Ticket:
    """The automatic ticket of a camera outage: the open one if any, else a new one.

    The ticket is opened (its service-level clock starts) `at`, now by default: when
    the supervision declares the outage, not when it began (`since`, in the text).

    Idempotent: the supervision may call it at every probe. Impact and urgency are
    the member's settings for automatic tickets (i2 × U2, a P3, by default)."""
    require_actor()
    key = camera_source_key(camera)
    found = _open_automatic(key)
    if found is not None:
        return found
    member = camera.member
    choices = desk_settings(member)
    when = timezone.localtime(since).strftime("%Y-%m-%d %H:%M")
    try:
        with transaction.atomic():
            return open_ticket(
                member,
                kind=Kind.INCIDENT,
                category=Category.CAMERA,
                title=_("Camera %(name)s down") % {"name": camera.name},
                description=_("Down since %(since)s: %(cause)s") % {"since": when, "cause": cause},
                camera=camera,
                impact=choices.automatic_impact,
                urgency=choices.automatic_urgency,
                automatic=True,
                source_key=key,
                opened_at=at,
            )
    except (IntegrityError, ValidationError):
        # Another process opened it between our look-up and our insert (the unique
        # constraint refuses ours, at validation or at the insert).
        existing = _open_automatic(key)
        if existing is None:
            raise
        return existing


def camera_recovered(camera: Any, at: datetime) -> Ticket | None:
    """Note the camera's return on its open automatic ticket, and resolve it if the
    member chose so. None when there is no such ticket."""
    require_actor()
    ticket = _open_automatic(camera_source_key(camera))
    if ticket is None:
        return None
    when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
    comment(ticket, _("Camera back at %(at)s.") % {"at": when}, at=max(at, ticket.opened_at))
    if desk_settings(ticket.member).auto_resolve:
        note = _("Resolved automatically: the camera is back.")
        resolve(ticket, note=note, at=max(at, ticket.opened_at))
    journal(
        "servicedesk.ticket.camera_recovered",
        objects=[ticket],
        member_id=ticket.member_id,
        details={"camera": camera.pk, "at": at.isoformat(), "status": ticket.status},
    )
    return ticket


# ---------------------------------------------------------------- escalation


@dataclass
class EscalationSent:
    ticket: Ticket
    reason: str
    level: int
    recipients: list[str]


def run_escalations(now: datetime | None = None) -> list[EscalationSent]:
    """Notify the next level for every open ticket that needs it, once per reason.

    The decision is `sla.escalation_due`; what was already sent is in
    TicketEscalation. Runs as a system job (the loop) or as anyone in tests."""
    now = _now(now)
    sent: list[EscalationSent] = []
    tickets = (
        Ticket.objects.unrestricted()
        .select_related("member", "assignee", "contractor")
        .filter(status__in=OPEN_STATUSES, opened_at__lte=now)
        .order_by("pk")
    )
    current = actors.current()
    party = current if current is not None and current.system else None
    with actors.acting_as(party or actors.system("job:servicedesk-escalate")):
        for ticket in list(tickets):  # read first: each ticket is written below
            try:
                sent.extend(_escalate_one(ticket, now))
            except Exception:
                # One broken ticket must not stop the others' escalations.
                logger.exception("escalation of ticket %s failed", ticket.pk)
    return sent


def _escalate_one(ticket: Ticket, now: datetime) -> list[EscalationSent]:
    reasons = sla.escalation_due(
        facts(ticket, now),
        now,
        answered_at=ticket.first_response_at,
        intervened_at=ticket.intervened_at,
        resolved_at=ticket.resolved_at,
    )
    if not reasons:
        return []
    done = set(
        TicketEscalation.objects.unrestricted()
        .filter(ticket_id=ticket.pk)
        .values_list("reason", flat=True)
    )
    new = [r for r in reasons if r.value not in done]
    if not new:
        return []
    out: list[EscalationSent] = []
    with transaction.atomic():
        for reason in new:
            ticket.escalation_level = min(ticket.escalation_level + 1, MAX_LEVEL)
            users, emails = level_contacts(ticket, ticket.escalation_level)
            names = sorted({u.get_username() for u in users} | set(emails))
            TicketEscalation(
                ticket=ticket,
                reason=reason.value,
                level=ticket.escalation_level,
                at=now,
                recipients=", ".join(names),
            ).save()
            out.append(EscalationSent(ticket, reason.value, ticket.escalation_level, names))
        _update_breaches(ticket, now)
        ticket.save()
    for item in out:
        text = _("Escalation of %(ref)s to level %(level)s: %(reason)s — %(title)s") % {
            "ref": ticket.reference,
            "level": item.level,
            "reason": _reason_label(item.reason),
            "title": ticket.title,
        }
        users, emails = level_contacts(ticket, item.level)
        notify(ticket, text, users=users, emails=emails)
    return out


def _reason_label(reason: str) -> str:
    labels = {
        sla.Escalation.NO_ANSWER.value: _("no answer"),
        sla.Escalation.INTERVENTION_BREACHED.value: _("intervention deadline missed"),
        sla.Escalation.RESOLUTION_BREACHED.value: _("resolution deadline missed"),
    }
    return labels.get(reason, reason)


# ---------------------------------------------------------------- recipients


def _role_users(role: str, member_id: int) -> list[Any]:
    from vigie.tenancy.models import User

    reach = Q(role_assignments__all_members=True) | Q(role_assignments__members=member_id)
    users = User.objects.filter(Q(role_assignments__role=role) & reach, is_active=True)
    return list(users.distinct().order_by("pk"))


def desk_users(ticket: Ticket) -> list[Any]:
    """The technicians who work this member's tickets (level 1)."""
    return _role_users("technician", ticket.member_id)


def level_contacts(ticket: Ticket, level: int) -> tuple[list[Any], list[str]]:
    """Who the escalation to `level` reaches: the syndicate's administrators of the
    member, the active contractors of that level, and the addresses set for it in
    ``VIGIE_SERVICEDESK_ESCALATION`` ({level: [e-mail, ...]})."""
    users = _role_users("syndicate_admin", ticket.member_id)
    emails = [c.email for c in Contractor.objects.filter(level=level, active=True) if c.email]
    configured = getattr(settings, "VIGIE_SERVICEDESK_ESCALATION", {}) or {}
    emails += list(configured.get(level, configured.get(str(level), ())))
    return users, emails


def notify_desk(ticket: Ticket, text: str) -> None:
    users = [ticket.assignee] if ticket.assignee else desk_users(ticket)
    notify(ticket, text, users=users)


def ticket_link(ticket: Ticket) -> str:
    try:
        return reverse("ticket_detail", kwargs={"pk": ticket.pk})
    except NoReverseMatch:  # pages not routed (a bare test urlconf)
        return ""


def notify(
    ticket: Ticket | None,
    text: str,
    *,
    users: Iterable[Any] = (),
    emails: Sequence[str] = (),
    link: str | None = None,
) -> list[Notification]:
    """A notification in each user's list, and an e-mail to them and to `emails`.

    Mail failures are logged, never raised: the ticket is already written."""
    link = link if link is not None else (ticket_link(ticket) if ticket else "")
    made: list[Notification] = []
    addresses: list[str] = []
    for user in {u.pk: u for u in users if u is not None and u.is_active}.values():
        made.append(
            Notification.objects.create(user=user, text=text[:500], link=link, ticket=ticket)
        )
        if user.email:
            addresses.append(user.email)
    addresses += [e for e in emails if e]
    base = getattr(settings, "VIGIE_SERVICEDESK_BASE_URL", "").rstrip("/")
    body = f"{text}\n\n{base}{link}" if link else text
    for address in dict.fromkeys(addresses):
        try:
            send_mail(f"[Vigie] {text[:120]}", body, None, [address])
        except Exception:
            logger.exception("could not send the notification to %s", address)
    return made


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them without `ids`)."""
    mine = Notification.objects.filter(user=user, read=False)
    if ids is not None:
        mine = mine.filter(pk__in=list(ids))
    return mine.update(read=True)


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read=False).count()


def notify_expiry_reminder(
    sender: Any, users: Iterable[Any], text: str, link: str, **_: Any
) -> None:
    """The reminder of approvals nearing expiry (``tenancy.signals``), in each
    administrator's notification list; tenancy has already e-mailed it."""
    Notification.objects.bulk_create(
        Notification(user=user, text=text[:500], link=link) for user in users if user.is_active
    )

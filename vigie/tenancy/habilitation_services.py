"""Writes and reminders about who may see images (see habilitations.py for the rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.services import journal
from vigie.core import legal
from vigie.core import services as core
from vigie.tenancy.models import (
    Approval,
    Designation,
    Member,
    OperatorDelegation,
    RoleAssignment,
    User,
)
from vigie.tenancy.roles import Role
from vigie.tenancy.signals import expiry_reminder_sent

ALL_DAYS = [1, 2, 3, 4, 5, 6, 7]


def designate(
    member: Member,
    user: User,
    *,
    live: bool = True,
    playback: bool = True,
    export: bool = False,
    valid_from: date | None = None,
    valid_until: date | None = None,
    reference: str = "",
) -> Designation:
    return core.save(
        Designation(
            member=member,
            user=user,
            view_live=live,
            view_playback=playback,
            export=export,
            valid_from=valid_from or timezone.localdate(),
            valid_until=valid_until,
            reference=reference,
        )
    )


def withdraw_designation(designation: Designation) -> Designation:
    """Takes effect on the person's next request (an open live view stops)."""
    designation.withdrawn = True
    return core.save(designation)


def record_approval(
    user: User, number: str, departement: str, granted_on: date, expires_on: date, note: str = ""
) -> Approval:
    return core.save(
        Approval(
            user=user,
            number=number,
            departement=departement,
            granted_on=granted_on,
            expires_on=expires_on,
            note=note,
        )
    )


def set_approval_state(
    approval: Approval, *, suspended: bool | None = None, withdrawn: bool | None = None
) -> Approval:
    if suspended is not None:
        approval.suspended = suspended
    if withdrawn is not None:
        approval.withdrawn = withdrawn
    return core.save(approval)


def delegate(
    member: Member,
    *,
    weekdays: list[int] | None = None,
    start: Any = None,
    end: Any = None,
    live: bool = True,
    playback: bool = True,
    export: bool = True,
    note: str = "",
) -> OperatorDelegation:
    delegation = OperatorDelegation(
        member=member,
        weekdays=weekdays or list(ALL_DAYS),
        view_live=live,
        view_playback=playback,
        export=export,
        note=note,
    )
    if start is not None:
        delegation.start_time = start
    if end is not None:
        delegation.end_time = end
    return core.save(delegation)


def expiring_approvals(who: Any, today: date | None = None) -> QuerySet[Approval]:
    """Approvals in force that end within the notice period, soonest first."""
    today = today or timezone.localdate()
    return (
        Approval.objects.restrict(who, "view")
        .filter(suspended=False, withdrawn=False, granted_on__lte=today)
        .filter(expires_on__gte=today, expires_on__lte=today + legal.APPROVAL_RENEWAL_NOTICE)
        .select_related("user")
        .order_by("expires_on")
    )


@dataclass
class Reminder:
    recipients: list[str]  # e-mail addresses
    approvals: list[Approval] = field(default_factory=list)
    authorisations: list[Any] = field(default_factory=list)
    users: list[Any] = field(default_factory=list)  # told in the UI, with or without e-mail

    @property
    def empty(self) -> bool:
        return not self.approvals and not self.authorisations


def expiry_reminder(today: date | None = None) -> Reminder:
    """What the syndicate administrators must be told: approvals and camera
    authorisations that expire within 4 months."""
    from vigie.core import actors
    from vigie.inventory.services import expiring_authorisations

    job = actors.system("habilitation-reminder")
    admins = User.objects.filter(
        is_active=True,
        pk__in=RoleAssignment.objects.filter(role=Role.SYNDICATE_ADMIN).values("user_id"),
    ).order_by("pk")
    with actors.acting_as(job):
        return Reminder(
            recipients=[a.email for a in admins if a.email],
            approvals=list(expiring_approvals(job, today)),
            authorisations=list(expiring_authorisations(job, today).select_related("member")),
            users=list(admins),
        )


def send_expiry_reminder(today: date | None = None) -> Reminder:
    """Tell the syndicate administrators (e-mail, and their notification list), and
    journal that it was done."""
    from vigie.core import actors

    reminder = expiry_reminder(today)
    if reminder.empty or not reminder.users:
        return reminder
    subject = _("Vigie: approvals and authorisations nearing expiry")
    if reminder.recipients:
        send_mail(
            subject,
            _reminder_body(reminder),
            getattr(settings, "DEFAULT_FROM_EMAIL", None),
            reminder.recipients,
        )
    summary = _("%(approvals)d approval(s) and %(authorisations)d authorisation(s) to renew") % {
        "approvals": len(reminder.approvals),
        "authorisations": len(reminder.authorisations),
    }
    expiry_reminder_sent.send(Reminder, users=reminder.users, text=summary, link=_approvals_url())
    with actors.acting_as(actors.system("habilitation-reminder")):
        journal(
            "tenancy.expiry_reminder.sent",
            details={
                "recipients": len(reminder.recipients),
                "users": [u.pk for u in reminder.users],
                "approvals": [a.pk for a in reminder.approvals],
                "authorisations": [a.pk for a in reminder.authorisations],
            },
        )
    return reminder


def _reminder_body(reminder: Reminder) -> str:
    lines = [_("Approvals to renew:")] + [
        f"- {a.user} — {a.number} ({a.departement}) — {a.expires_on:%d/%m/%Y}"
        for a in reminder.approvals
    ]
    lines += ["", _("Camera authorisations to renew (file due 4 months ahead):")] + [
        f"- {a.member} — {a.number} — {a.expires_on:%d/%m/%Y}" for a in reminder.authorisations
    ]
    return "\n".join(lines)


def _approvals_url() -> str:
    try:
        return reverse("approval_list")
    except NoReverseMatch:  # pages not routed (a bare test urlconf)
        return ""

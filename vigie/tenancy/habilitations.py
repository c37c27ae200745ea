"""Who may see images right now: designations, prefectoral approvals, delegations.

Roles say what a kind of user may do; the law adds conditions on the person and the
instant (CSI L252-2, rules 3 and 4 of the brief). Image grants are narrowed here, every
time a grant table is built (once per request), so that an expiry, a suspension or a
withdrawal takes effect on the next request: an open live view stops at its next
playlist refresh.

The decisions are pure functions over plain facts; ``scope_for`` reads the facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

# Which designation flag an image action needs (lifting a mask happens in playback).
DESIGNATION_FLAG = {
    "view_live": "view_live",
    "view_playback": "view_playback",
    "export": "export",
    "lift_mask": "view_playback",
}


@dataclass(frozen=True)
class DesignationFact:
    member_id: int
    flags: frozenset[str]
    valid_from: date
    valid_until: date | None
    withdrawn: bool

    def allows(self, flag: str, day: date) -> bool:
        if self.withdrawn or flag not in self.flags or day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True)
class ApprovalFact:
    departement: str
    granted_on: date
    expires_on: date
    suspended: bool
    withdrawn: bool

    def valid(self, day: date) -> bool:
        return (
            not self.suspended and not self.withdrawn and self.granted_on <= day <= self.expires_on
        )


@dataclass(frozen=True)
class DelegationFact:
    member_id: int
    flags: frozenset[str]
    weekdays: frozenset[int]
    start: time
    end: time

    def allows(self, flag: str, local: datetime) -> bool:
        """Open at ``local`` (Europe/Paris wall time). A window whose end is not after its
        start runs past midnight, and belongs to the day it starts on."""
        if flag not in self.flags:
            return False
        now = local.time()
        day = local.isoweekday()
        if self.start == self.end:
            return day in self.weekdays
        if self.start < self.end:
            return day in self.weekdays and self.start <= now < self.end
        if now >= self.start:
            return day in self.weekdays
        previous_day = 7 if day == 1 else day - 1
        return now < self.end and previous_day in self.weekdays


def designated_members(facts: Iterable[DesignationFact], flag: str, day: date) -> set[int]:
    return {f.member_id for f in facts if f.allows(flag, day)}


def approved_departements(facts: Iterable[ApprovalFact], day: date) -> set[str]:
    return {f.departement for f in facts if f.valid(day)}


def delegating_members(facts: Iterable[DelegationFact], flag: str, local: datetime) -> set[int]:
    return {f.member_id for f in facts if f.allows(flag, local)}


def viewable_members(
    *,
    flag: str,
    day: date,
    designations: Iterable[DesignationFact],
    needs_approval: bool,
    approvals: Iterable[ApprovalFact],
    member_departements: dict[int, str],
) -> set[int]:
    """Members whose images the person may see for ``flag`` on ``day``, before delegation.

    An approval is valid in one département: it counts for a member of that département.
    A member whose département is unknown (neither its own nor the syndicate's) accepts
    any valid approval: there is nothing to compare.
    """
    members = designated_members(designations, flag, day)
    if not needs_approval:
        return members
    departements = approved_departements(approvals, day)
    if not departements:
        return set()
    return {
        m
        for m in members
        if not member_departements.get(m) or member_departements[m] in departements
    }


@dataclass
class HabilitationScope:
    """What the person may see now, per image action; ``narrow`` applies it to a grant."""

    viewable: dict[str, frozenset[int]]
    delegating: dict[str, frozenset[int]]

    def members(self, action: str, *, operator: bool) -> frozenset[int]:
        flag = DESIGNATION_FLAG[action]
        allowed = self.viewable.get(flag, frozenset())
        if operator:
            allowed &= self.delegating.get(flag, frozenset())
        return allowed

    def narrow(
        self, granted: frozenset[int] | None, action: str, *, operator: bool
    ) -> frozenset[int]:
        allowed = self.members(action, operator=operator)
        return allowed if granted is None else granted & allowed


def scope_for(user: Any, at: datetime | None = None) -> HabilitationScope:
    """Read the person's designations and approvals and the members' delegations."""
    from vigie.tenancy.models import (
        Approval,
        Designation,
        Member,
        OperatorDelegation,
        ViewingStatus,
    )

    at = at or timezone.now()
    local = timezone.localtime(at)
    day = local.date()
    flags = ("view_live", "view_playback", "export")
    designations = [
        DesignationFact(
            d.member_id,
            frozenset(f for f in flags if getattr(d, f)),
            d.valid_from,
            d.valid_until,
            d.withdrawn,
        )
        for d in Designation.objects.unrestricted().filter(user_id=user.pk, withdrawn=False)
    ]
    approvals = [
        ApprovalFact(a.departement, a.granted_on, a.expires_on, a.suspended, a.withdrawn)
        for a in Approval.objects.unrestricted().filter(user_id=user.pk)
    ]
    member_ids = {d.member_id for d in designations}
    departements = {
        pk: own or syndicate
        for pk, own, syndicate in Member.objects.unrestricted()
        .filter(pk__in=member_ids)
        .values_list("pk", "departement", "syndicate__departement")
    }
    delegations = [
        DelegationFact(
            d.member_id,
            frozenset(f for f in flags if getattr(d, f)),
            frozenset(d.weekdays),
            d.start_time,
            d.end_time,
        )
        for d in OperatorDelegation.objects.unrestricted().filter(member_id__in=member_ids)
    ]
    needs_approval = user.viewing_status == ViewingStatus.AGENT
    viewable = {
        flag: frozenset(
            viewable_members(
                flag=flag,
                day=day,
                designations=designations,
                needs_approval=needs_approval,
                approvals=approvals,
                member_departements=departements,
            )
        )
        for flag in flags
    }
    delegating = {flag: frozenset(delegating_members(delegations, flag, local)) for flag in flags}
    return HabilitationScope(viewable, delegating)

"""Writes on members and people. People are not owned by one member, so the checks
that RestrictedModel.save does for member-owned rows are done here explicitly."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vigie.audit.services import journal
from vigie.core import services as core
from vigie.core.models import IsolationError, require_actor
from vigie.tenancy.models import Member, RoleAssignment, Syndicate, User
from vigie.tenancy.roles import Role


def save_member(member: Member) -> Member:
    return core.save(member)


def get_or_create_syndicate(name: str, slug: str) -> Syndicate:
    actor = require_actor()
    if not actor.system and not actor.grants().superuser:
        raise IsolationError(_("Only the syndicate's superuser may set up the syndicate."))
    syndicate, created = Syndicate.objects.get_or_create(slug=slug, defaults={"name": name})
    if created:
        syndicate.full_clean()
        journal("tenancy.syndicate.create", objects=[syndicate])
    return syndicate


def _check_may_manage_people(members: Iterable[Member], all_members: bool) -> None:
    actor = require_actor()
    if actor.system:
        return
    allowed = actor.grants().member_ids("tenancy.user", "add")
    if allowed is None:
        return
    if all_members or any(m.pk not in allowed for m in members):
        raise IsolationError(_("You may only manage people of your own members."))


def assign_role(
    user: User, role: str, members: Iterable[Member] = (), *, all_members: bool = False
) -> RoleAssignment:
    members = list(members)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role “%(r)s”.") % {"r": role}})
    if not all_members and not members:
        raise ValidationError({"members": _("Give at least one member, or every member.")})
    _check_may_manage_people(members, all_members)
    with transaction.atomic():
        assignment = RoleAssignment.objects.create(user=user, role=role, all_members=all_members)
        assignment.members.set(members)
        journal(
            "tenancy.role.assign",
            objects=[user],
            member_id=members[0].pk if len(members) == 1 else None,
            details={"role": role, "members": [m.slug for m in members], "all": all_members},
        )
    return assignment


def create_user(
    username: str,
    password: str | None,
    *,
    role: str | None = None,
    members: Iterable[Member] = (),
    all_members: bool = False,
    **fields: Any,
) -> User:
    """Create a person, with one role over some members (or the whole syndicate)."""
    members = list(members)
    _check_may_manage_people(members, all_members)
    with transaction.atomic():
        user = User(username=username, **fields)
        if password:
            validate_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        journal("tenancy.user.create", objects=[user], details={"username": username})
        if role:
            assign_role(user, role, members, all_members=all_members)
    return user

"""Writes on members and people. People are not owned by one member, so the checks
that RestrictedModel.save does for member-owned rows are done here explicitly."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

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


# ---------------------------------------------------------------------------
# Managing people: profile, deactivation, roles.
#
# ``User`` is not a RestrictedModel (login must find a person before anyone acts), so
# nothing below the services stops a write that leaves the actor's reach: the checks
# here are the isolation. A person is never deleted, since the journal refers to them.
# ---------------------------------------------------------------------------

PROFILE_FIELDS = ("first_name", "last_name", "email", "phone", "organisation", "viewing_status")


def _person_reach(user: User) -> tuple[set[int], bool]:
    """The members the person's roles reach, and whether one role reaches every member."""
    every = RoleAssignment.objects.filter(user=user, all_members=True).exists()
    through = RoleAssignment.members.through
    members = set(
        through.objects.filter(roleassignment__user=user).values_list("member_id", flat=True)
    )
    return members, every


def _only_member(user: User) -> int | None:
    """The member a journal entry about this person belongs to, when there is just one."""
    members, every = _person_reach(user)
    return next(iter(members)) if len(members) == 1 and not every else None


def check_may_manage(user: User, action: str) -> None:
    """Refuse (IsolationError) unless the acting party may ``action`` (change or delete)
    people in every member this person's roles reach.

    A person shared with a member the actor does not manage is partly that member's
    business; one who reaches every member (or is a superuser, or holds no role at all,
    so belongs to no member) is the whole syndicate's.
    """
    actor = require_actor()
    if actor.system:
        return
    allowed = actor.grants().member_ids("tenancy.user", action)
    if allowed is None:
        return
    if not allowed:
        raise IsolationError(_("Your roles do not let you manage people."))
    reach, every = _person_reach(user)
    if every or user.is_superuser:
        raise IsolationError(
            _(
                "This person holds a role over every member: only an administrator of the "
                "whole syndicate may manage them."
            )
        )
    if not reach:
        raise IsolationError(
            _(
                "This person holds no role in your members: only an administrator of the "
                "whole syndicate may manage them."
            )
        )
    if not reach <= allowed:
        raise IsolationError(
            _(
                "This person also holds roles in members you do not manage: only an "
                "administrator of all of them may manage this person."
            )
        )


def may_manage(user: User, action: str) -> bool:
    """Whether the acting party may ``action`` this person (what the UI offers)."""
    try:
        check_may_manage(user, action)
    except IsolationError:
        return False
    return True


def _lock(user: User) -> User:
    """Re-read the person under a row lock: two administrators acting on the same person
    at once (the last administrator role, a deactivation) are serialised, and the reach
    is checked on what is stored, not on a stale instance."""
    return User.objects.select_for_update().get(pk=user.pk)


def update_user(user: User, **fields: Any) -> User:
    """Change a person's profile (names, e-mail, phone, organisation); nothing else."""
    unknown = sorted(set(fields) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationError(
            {name: _("This cannot be changed with the profile.") for name in unknown}
        )
    with transaction.atomic():
        # Compared with the stored row, not ``user``: a model form has already written
        # the new values onto the instance it was given.
        stored = _lock(user)
        check_may_manage(stored, "change")
        before = {name: getattr(stored, name) for name in fields}
        for name, value in fields.items():
            setattr(stored, name, value)
        stored.full_clean(exclude=["password"])  # also normalises the e-mail address
        changes = {
            name: [before[name], getattr(stored, name)]
            for name in fields
            if getattr(stored, name) != before[name]
        }
        if changes:
            stored.save(update_fields=list(changes))
            journal(
                "tenancy.user.update",
                objects=[stored],
                member_id=_only_member(stored),
                details={"changes": changes},
            )
    for name in PROFILE_FIELDS:
        setattr(user, name, getattr(stored, name))
    return user


def deactivate_user(user: User) -> User:
    """Stop a person from logging in or using the API; their API token is deleted so
    that it stops working at once. The person stays, for the journal refers to them."""
    actor = require_actor()
    if actor.user_id is not None and actor.user_id == user.pk:
        raise ValidationError(
            _(
                "You cannot deactivate yourself: another administrator must do it, so that "
                "nobody locks themselves out by mistake."
            )
        )
    with transaction.atomic():
        stored = _lock(user)
        check_may_manage(stored, "delete")
        if not stored.is_active:
            raise ValidationError(_("“%(user)s” is already deactivated.") % {"user": stored})
        stored.is_active = False
        stored.save(update_fields=["is_active"])
        tokens = Token.objects.filter(user=stored).delete()[0]
        journal(
            "tenancy.user.deactivate",
            objects=[stored],
            member_id=_only_member(stored),
            details={"token_deleted": bool(tokens)},
        )
    user.is_active = False
    return user


def reactivate_user(user: User) -> User:
    """Let a deactivated person log in again (with a new API token, if they ask for one)."""
    with transaction.atomic():
        stored = _lock(user)
        check_may_manage(stored, "change")
        if stored.is_active:
            raise ValidationError(_("“%(user)s” is already active.") % {"user": stored})
        stored.is_active = True
        stored.save(update_fields=["is_active"])
        journal("tenancy.user.reactivate", objects=[stored], member_id=_only_member(stored))
    user.is_active = True
    return user


def _role_details(assignment: RoleAssignment) -> dict[str, Any]:
    return {
        "assignment": assignment.pk,
        "role": assignment.role,
        "members": sorted(assignment.members.values_list("slug", flat=True)),
        "all": assignment.all_members,
    }


def add_role(
    user: User, role: str, members: Iterable[Member] = (), *, all_members: bool = False
) -> RoleAssignment:
    """Give an existing person one more role. The person must be within the actor's
    reach (as for any change to them), and the new members too (``assign_role``)."""
    members = list(members)
    if all_members and members:
        raise ValidationError({"members": _("Give either members or every member, not both.")})
    with transaction.atomic():
        check_may_manage(_lock(user), "change")
        wanted = {m.pk for m in members}
        for existing in RoleAssignment.objects.filter(user=user, role=role):
            same = set(existing.members.values_list("pk", flat=True)) == wanted
            if existing.all_members == all_members and (all_members or same):
                raise ValidationError(
                    {"role": _("This person already holds this role over these members.")}
                )
        return assign_role(user, role, members, all_members=all_members)


def revoke_role(assignment: RoleAssignment) -> None:
    """Remove one role from a person. Nobody removes their own last administrator role:
    the centre could be left with nobody able to manage people."""
    actor = require_actor()
    user = assignment.user
    with transaction.atomic():
        check_may_manage(_lock(user), "change")
        current = RoleAssignment.objects.filter(pk=assignment.pk, user=user).first()
        if current is None:
            raise ValidationError(_("This role was already removed."))
        if actor.user_id == user.pk and current.role == Role.SYNDICATE_ADMIN:
            others = RoleAssignment.objects.filter(user=user, role=Role.SYNDICATE_ADMIN)
            if not others.exclude(pk=current.pk).exists():
                raise ValidationError(
                    _(
                        "This is your last administrator role: another administrator must "
                        "remove it, so that nobody locks themselves out by mistake."
                    )
                )
        details = _role_details(current)
        # As assign_role does: the entry belongs to a member when the role named just one.
        ids = list(current.members.values_list("pk", flat=True))
        member_id = ids[0] if len(ids) == 1 and not current.all_members else None
        current.delete()
        journal("tenancy.role.revoke", objects=[user], member_id=member_id, details=details)
    if actor.user_id == user.pk:
        actor.forget_grants()  # the actor's own rights just shrank

"""Test helpers shared by every app: factories and the isolation test base classes.

``IsolationCases`` gives each model three cases (without permission, with permission,
as a user of another member); ``ApiIsolationCases`` does the same for an endpoint.
Subclasses only say which model or URL and how to make one object for a member.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any, ClassVar

from django.db import models

from vigie.core import actors

_seq = itertools.count(1)


def as_system() -> Any:
    return actors.acting_as(actors.system("tests"))


def make_syndicate(**kw: Any) -> Any:
    from vigie.tenancy.models import Syndicate

    with as_system():
        syndicate, _ = Syndicate.objects.get_or_create(
            slug=kw.pop("slug", "smo-test"), defaults={"name": "Syndicat test", **kw}
        )
    return syndicate


def make_member(slug: str | None = None, **kw: Any) -> Any:
    from vigie.tenancy.models import Member

    n = next(_seq)
    slug = slug or f"town-{n}"
    with as_system():
        return Member.objects.create(
            syndicate=kw.pop("syndicate", None) or make_syndicate(),
            slug=slug,
            name=kw.pop("name", slug.replace("-", " ").title()),
            **kw,
        )


def make_user(
    username: str | None = None,
    role: str | None = None,
    members: list[Any] | tuple[Any, ...] = (),
    *,
    all_members: bool = False,
    password: str = "correct-horse-battery",  # noqa: S107
    habilitated: bool = True,
    **kw: Any,
) -> Any:
    from vigie.tenancy.models import RoleAssignment, User

    username = username or f"user{next(_seq)}"
    user = User.objects.create_user(username=username, password=password, **kw)
    if role:
        assignment = RoleAssignment.objects.create(user=user, role=role, all_members=all_members)
        assignment.members.set(members)
        if habilitated:
            habilitate(user, role, members, all_members=all_members)
    return user


def habilitate(user: Any, role: str, members: Any = (), *, all_members: bool = False) -> None:
    """Give a person what the law asks to see the images their role allows: a designation
    by each member, an approval if they are an agent, and, for an operator, the members'
    delegation to the centre at all hours. Tests of the habilitation rules themselves
    pass ``habilitated=False`` to make_user and set these up one by one."""
    from vigie.core.grants import IMAGE_ACTIONS
    from vigie.tenancy.models import (
        Approval,
        Designation,
        Member,
        OperatorDelegation,
        ViewingStatus,
    )
    from vigie.tenancy.roles import Role, role_grants

    if not any(set(actions) & IMAGE_ACTIONS for actions in role_grants(role).values()):
        return
    targets = list(Member.objects.unrestricted()) if all_members else list(members)
    today = date.today()
    with as_system():
        for member in targets:
            Designation.objects.create(
                member=member, user=user, export=True, valid_from=today - timedelta(days=365)
            )
            if role == Role.CSU_OPERATOR and not member.delegations.exists():
                OperatorDelegation.objects.create(member=member, weekdays=[1, 2, 3, 4, 5, 6, 7])
        if user.viewing_status == ViewingStatus.AGENT:
            departements = {m.departement or m.syndicate.departement for m in targets} or {""}
            for n, departement in enumerate(sorted(departements)):
                Approval.objects.create(
                    user=user,
                    number=f"AGR-{user.pk}-{n}",
                    departement=departement or "92",
                    granted_on=today - timedelta(days=365),
                    expires_on=today + timedelta(days=365 * 3),
                )


def make_site(member: Any, **kw: Any) -> Any:
    from vigie.inventory.models import Site

    with as_system():
        return Site.objects.create(member=member, name=kw.pop("name", f"Site {next(_seq)}"), **kw)


def make_camera(member: Any, **kw: Any) -> Any:
    from vigie.inventory.models import Camera

    n = next(_seq)
    with as_system():
        return Camera.objects.create(
            member=member,
            name=kw.pop("name", f"CAM-{n:04d}"),
            mac_address=kw.pop(
                "mac_address", f"00:0C:29:{n >> 16 & 255:02X}:{n >> 8 & 255:02X}:{n & 255:02X}"
            ),
            ip_address=kw.pop("ip_address", f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"),
            **kw,
        )


def _mac(n: int) -> str:
    return f"00:0C:29:{n >> 16 & 255:02X}:{n >> 8 & 255:02X}:{n & 255:02X}"


def make_authorisation(member: Any, cameras: list[Any] | tuple[Any, ...] = (), **kw: Any) -> Any:
    from vigie.inventory.models import Authorisation

    today = date.today()
    with as_system():
        auth = Authorisation.objects.create(
            member=member,
            number=kw.pop("number", f"2024/{next(_seq):04d}"),
            issued_on=kw.pop("issued_on", today - timedelta(days=365)),
            expires_on=kw.pop("expires_on", today + timedelta(days=3 * 365)),
            **kw,
        )
        auth.cameras.set(cameras)
    return auth


class IsolationCases:
    """Three cases for a member-owned model; set ``model`` and ``viewer_role``, define make()."""

    model: ClassVar[type[models.Model]]
    viewer_role: ClassVar[str] = "town_viewer"
    action: ClassVar[str] = "view"

    def make(self, member: Any) -> models.Model:
        raise NotImplementedError

    def _setup(self) -> tuple[Any, Any, models.Model, models.Model]:
        a, b = make_member(), make_member()
        return a, b, self.make(a), self.make(b)

    def test_without_permission_sees_nothing(self, db: Any) -> None:
        _a, _b, obj_a, _obj_b = self._setup()
        nobody = make_user()
        qs = self.model.objects.restrict(nobody, self.action)  # type: ignore[attr-defined]
        assert not qs.filter(pk=obj_a.pk).exists()
        with actors.acting_as(nobody):
            assert not self.model.objects.filter(pk=obj_a.pk).exists()  # type: ignore[attr-defined]

    def test_with_permission_sees_own_member(self, db: Any) -> None:
        a, _b, obj_a, _obj_b = self._setup()
        user = make_user(role=self.viewer_role, members=[a])
        qs = self.model.objects.restrict(user, self.action)  # type: ignore[attr-defined]
        assert qs.filter(pk=obj_a.pk).exists()

    def test_other_member_user_sees_nothing_of_ours(self, db: Any) -> None:
        _a, b, obj_a, obj_b = self._setup()
        other = make_user(role=self.viewer_role, members=[b])
        qs = self.model.objects.restrict(other, self.action)  # type: ignore[attr-defined]
        assert not qs.filter(pk=obj_a.pk).exists()
        assert qs.filter(pk=obj_b.pk).exists()
        with actors.acting_as(other):
            assert not self.model.objects.filter(pk=obj_a.pk).exists()  # type: ignore[attr-defined]

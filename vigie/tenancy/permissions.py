"""Build a user's grant table from their role assignments and object permissions.

Reads go through the M2M through tables: the Member manager is itself restricted by
these grants, so going through it here would recurse.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q

from vigie.core.grants import IMAGE_ACTIONS, Grant, GrantTable, freeze_constraints
from vigie.tenancy.habilitations import HabilitationScope, scope_for
from vigie.tenancy.roles import Role, role_grants


def _members_by(through: Any, owner_field: str, owner_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    rows = through.objects.filter(**{f"{owner_field}__in": owner_ids})
    for owner_id, member_id in rows.values_list(owner_field, "member_id"):
        found[owner_id].add(member_id)
    return found


def build_grant_table(user: Any) -> GrantTable:
    from vigie.tenancy.models import ObjectPermission, RoleAssignment

    table = GrantTable(superuser=bool(user.is_superuser))
    assignments = list(RoleAssignment.objects.filter(user=user).values("pk", "role", "all_members"))
    scopes = _members_by(
        RoleAssignment.members.through, "roleassignment_id", [a["pk"] for a in assignments]
    )
    habilitation = _Lazy(user)
    for assignment in assignments:
        scope = None if assignment["all_members"] else frozenset(scopes[assignment["pk"]])
        operator = assignment["role"] == Role.CSU_OPERATOR
        for model_label, actions in role_grants(assignment["role"]).items():
            for action in actions:
                members = scope
                if action in IMAGE_ACTIONS:
                    members = habilitation.get().narrow(scope, action, operator=operator)
                table.add(model_label, action, Grant(members=members))

    group_ids = list(user.groups.values_list("pk", flat=True))
    permissions = list(
        ObjectPermission.objects.filter(enabled=True)
        .filter(Q(users=user) | Q(groups__in=group_ids))
        .distinct()
        .prefetch_related("object_types")
    )
    perm_scopes = _members_by(
        ObjectPermission.members.through, "objectpermission_id", [p.pk for p in permissions]
    )
    for perm in permissions:
        scope = None if perm.all_members else frozenset(perm_scopes[perm.pk])
        constraints = freeze_constraints(perm.constraints)
        for ct in perm.object_types.all():
            for action in perm.actions:
                members = scope
                if action in IMAGE_ACTIONS:
                    members = habilitation.get().narrow(scope, action, operator=False)
                table.add(
                    f"{ct.app_label}.{ct.model}",
                    action,
                    Grant(members=members, constraints=constraints),
                )
    return table


class _Lazy:
    """The habilitation scope, read only if some grant is an image action."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.scope: HabilitationScope | None = None

    def get(self) -> HabilitationScope:
        if self.scope is None:
            self.scope = scope_for(self.user)
        return self.scope

"""Turn a user's roles and object permissions into query filters.

A grant says: on this object type, this action is allowed within these members
(``None``: every member) and, optionally, only for objects matching constraints
(NetBox-style lists of lookup dicts, OR-ed together).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

# Actions on images need an explicit grant, even for superusers (the brief: an
# administrator does not watch images unless habilitated).
IMAGE_ACTIONS = frozenset({"view_live", "view_playback", "export", "lift_mask"})
BASIC_ACTIONS = frozenset({"view", "add", "change", "delete"})
ACTIONS = BASIC_ACTIONS | IMAGE_ACTIONS


@dataclass(frozen=True)
class Grant:
    members: frozenset[int] | None
    constraints: tuple[tuple[tuple[str, Any], ...], ...] = ()

    def q(self, member_path: str, user_id: int | None) -> Q | None:
        """The filter this grant allows; None means everything."""
        parts: list[Q] = []
        if self.members is not None:
            parts.append(Q(**{f"{member_path}__in": sorted(self.members)}))
        if self.constraints:
            alternatives = Q(pk__in=[])
            for constraint in self.constraints:
                values = {k: (user_id if v == "$user" else v) for k, v in constraint}
                alternatives |= Q(**values)
            parts.append(alternatives)
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined &= part
        return combined


def freeze_constraints(raw: Any) -> tuple[tuple[tuple[str, Any], ...], ...]:
    if not raw:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    return tuple(tuple(sorted(item.items())) for item in items if item)


class GrantTable:
    def __init__(self, superuser: bool = False) -> None:
        self.superuser = superuser
        self._grants: dict[tuple[str, str], list[Grant]] = defaultdict(list)

    def add(self, model_label: str, action: str, grant: Grant) -> None:
        self._grants[(model_label, action)].append(grant)

    def for_action(self, model_label: str, action: str) -> list[Grant]:
        if self.superuser and action not in IMAGE_ACTIONS:
            return [Grant(members=None)]
        return list(self._grants.get((model_label, action), ()))

    def member_ids(self, model_label: str, action: str) -> frozenset[int] | None:
        """Members where the action is allowed on some object (None: all of them)."""
        found: set[int] = set()
        for grant in self.for_action(model_label, action):
            if grant.members is None:
                return None
            found |= grant.members
        return frozenset(found)


def grant_table_for(user: Any) -> GrantTable:
    if user is None or not getattr(user, "is_active", False):
        return GrantTable()
    from vigie.tenancy.permissions import build_grant_table

    return build_grant_table(user)

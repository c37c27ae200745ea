"""Generic write path shared by every app's services: save, relate, delete, journaled."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from vigie.audit.services import journal
from vigie.core.models import RestrictedModel, require_actor


def save(obj: RestrictedModel, m2m: Mapping[str, Iterable[models.Model]] | None = None) -> Any:
    """Save ``obj`` and set its many-to-many fields, all or nothing.

    Related member-owned objects must belong to the same member as ``obj``: a set of
    cameras on an authorisation cannot reach into another town.
    """
    require_actor()
    with transaction.atomic():
        obj.save()
        for name, values in (m2m or {}).items():
            related = list(values)
            _check_same_member(obj, name, related)
            manager = getattr(obj, name)
            before = sorted(
                str(pk)
                for pk in manager.through.objects.filter(
                    **{manager.source_field_name: obj.pk}
                ).values_list(manager.target_field_name, flat=True)
            )
            manager.set(related)
            after = sorted(str(r.pk) for r in related)
            if before != after:
                journal(
                    f"{obj._meta.label_lower}.update",
                    objects=[obj],
                    member_id=obj.owner_member_id(),
                    details={"changes": {name: [before, after]}},
                )
    return obj


def delete(obj: RestrictedModel) -> None:
    require_actor()
    try:
        obj.delete()
    except models.ProtectedError as exc:
        names = ", ".join(sorted({str(o) for o in exc.protected_objects})[:5])
        raise ValidationError(
            _("“%(obj)s” is still used by: %(names)s.") % {"obj": obj, "names": names}
        ) from exc


def _check_same_member(obj: RestrictedModel, name: str, related: list[models.Model]) -> None:
    owner = getattr(obj, "member_id", None)
    if owner is None:
        return
    foreign = [r for r in related if getattr(r, "member_id", owner) != owner]
    if foreign:
        raise ValidationError({name: _("Some of them belong to another member.")})

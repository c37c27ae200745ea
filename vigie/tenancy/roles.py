"""The roles of the brief ("Who uses it") and what each may do, scoped to its members.

Image actions (live, playback, export) given here are still subject to the
habilitation checks of the compliance layer; a role never grants them alone to
someone the law does not allow to view.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

VIEW = ("view",)
MANAGE = ("view", "add", "change", "delete")
CONFIGURE = ("view", "change")
# Place (add) and release (change) legal holds.
HOLD = ("view", "add", "change")

INVENTORY = (
    "inventory.site",
    "inventory.camera",
    "inventory.authorisation",
    "inventory.transportlink",
    "inventory.recordernode",
    "inventory.storagepool",
)

# Who may see images: the members' designations, the prefect's approvals, delegations.
HABILITATION = ("tenancy.approval", "tenancy.designation", "tenancy.operatordelegation")

RECORDING_STATE = ("recording.segment", "recording.gap", "recording.camerarecordingstate")


class Role(models.TextChoices):
    SYNDICATE_ADMIN = "syndicate_admin", _("Syndicate administrator")
    CSU_OPERATOR = "csu_operator", _("CSU operator")
    TOWN_VIEWER = "town_viewer", _("Town viewer")
    JUDICIAL_OFFICER = "judicial_officer", _("Judicial police officer")
    TECHNICIAN = "technician", _("Technician")
    AUDITOR = "auditor", _("Auditor / DPO")
    VIGIK_PILOT = "vigik_pilot", _("Vigik pilot")
    LANDLORD = "landlord", _("Landlord")


def _all(models_: tuple[str, ...], actions: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return dict.fromkeys(models_, actions)


ROLE_GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.SYNDICATE_ADMIN: {
        "tenancy.member": MANAGE,
        "tenancy.user": MANAGE,
        **_all(HABILITATION, MANAGE),
        **_all(INVENTORY, MANAGE),
        **_all(RECORDING_STATE, VIEW),
        # Holds are placed for requisitions and released, never edited nor deleted.
        "recording.legalhold": HOLD,
        "recording.destructionrecord": VIEW,
        "recording.storagealarm": VIEW,
        "recording.memberrecordingpolicy": MANAGE,
    },
    Role.CSU_OPERATOR: {
        "tenancy.member": VIEW,
        "tenancy.operatordelegation": VIEW,
        "inventory.site": VIEW,
        "inventory.camera": ("view", "view_live", "view_playback", "export"),
        "inventory.authorisation": VIEW,
        **_all(RECORDING_STATE, VIEW),
        "recording.legalhold": HOLD,
        "recording.storagealarm": VIEW,
    },
    Role.TOWN_VIEWER: {
        "tenancy.member": VIEW,
        "tenancy.designation": VIEW,
        "tenancy.operatordelegation": VIEW,
        "inventory.site": VIEW,
        "inventory.camera": ("view", "view_live", "view_playback"),
        "inventory.authorisation": VIEW,
        **_all(RECORDING_STATE, VIEW),
        "recording.legalhold": VIEW,
        "recording.memberrecordingpolicy": VIEW,
    },
    Role.JUDICIAL_OFFICER: {"tenancy.member": VIEW},
    Role.TECHNICIAN: {
        "tenancy.member": VIEW,
        **_all(INVENTORY, CONFIGURE),
        **_all(RECORDING_STATE, VIEW),
        "recording.storagealarm": VIEW,
        "recording.memberrecordingpolicy": VIEW,
    },
    Role.AUDITOR: {
        "tenancy.member": VIEW,
        "tenancy.user": VIEW,
        **_all(HABILITATION, VIEW),
        **_all(INVENTORY, VIEW),
        **_all(RECORDING_STATE, VIEW),
        "recording.legalhold": VIEW,
        "recording.destructionrecord": VIEW,
        "recording.storagealarm": VIEW,
        "recording.memberrecordingpolicy": VIEW,
    },
    Role.VIGIK_PILOT: {"tenancy.member": VIEW},
    Role.LANDLORD: {"tenancy.member": VIEW},
}


def _app_grants() -> list[dict[str, dict[str, tuple[str, ...]]]]:
    """Grants each domain app declares for its own models in ``<app>/role_grants.py``
    (a ``GRANTS`` dict keyed by role), so that apps never edit each other's tables."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    found = []
    for config in apps.get_app_configs():
        module = f"{config.name}.role_grants"
        if config.name.startswith("vigie.") and find_spec(module) is not None:
            found.append(import_module(module).GRANTS)
    return found


_merged: dict[str, dict[str, tuple[str, ...]]] | None = None


def role_grants(role: str) -> dict[str, tuple[str, ...]]:
    """What a role may do on each model: the table above plus every app's own grants."""
    global _merged
    if _merged is None:
        merged = {r: dict(g) for r, g in ROLE_GRANTS.items()}
        for grants in _app_grants():
            for r, table in grants.items():
                for label, actions in table.items():
                    have = merged.setdefault(r, {}).get(label, ())
                    merged[r][label] = tuple(dict.fromkeys((*have, *actions)))
        _merged = merged
    return _merged.get(role, {})

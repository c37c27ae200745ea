"""Role grants of the recording app's own models, merged by ``tenancy.roles.role_grants``.

Privacy masks: the syndicate administrator and technicians (who configure cameras)
manage them; town viewers and auditors see them. ``lift_mask`` (an image action on
``inventory.camera``) is given to no role: only an object permission an administrator
creates for a named person grants it, and then only on a member whose recording policy
allows lifting at all (see docs/masks.md).
"""

from __future__ import annotations

from vigie.tenancy.roles import MANAGE, VIEW, Role

GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.SYNDICATE_ADMIN: {"recording.privacymask": MANAGE},
    Role.TECHNICIAN: {"recording.privacymask": MANAGE},
    Role.TOWN_VIEWER: {"recording.privacymask": VIEW},
    Role.AUDITOR: {"recording.privacymask": VIEW},
}

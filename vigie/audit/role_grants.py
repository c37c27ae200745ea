"""Role grants of the audit app, merged by ``tenancy.roles.role_grants``.

- ``audit.register`` is not a table: ``view`` on it, in some members, lets a person open
  those members' registers (recordings, holds, deliveries to the courts). Each part of a
  register is still read through its own model's restriction.
- ``audit.journalentry``: reading the journal register (the journal itself is written
  only through ``audit.services.journal``).
- ``audit.subjectrequest``: requests from filmed persons. The town (the controller)
  and the syndicate administrator record and answer them; the auditor / DPO reads them.
  Nobody deletes one: it is part of the record.
- ``recording.destructionrecord`` for town viewers: their own town's destruction register
  is part of the register of recordings they may read (the base table in
  ``tenancy/roles.py`` gives it to administrators and auditors only).
"""

from __future__ import annotations

from vigie.tenancy.roles import VIEW, Role

HANDLE = ("view", "add", "change")

GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.SYNDICATE_ADMIN: {
        "audit.register": VIEW,
        "audit.journalentry": VIEW,
        "audit.subjectrequest": HANDLE,
    },
    Role.AUDITOR: {
        "audit.register": VIEW,
        "audit.journalentry": VIEW,
        "audit.subjectrequest": VIEW,
    },
    Role.TOWN_VIEWER: {
        "audit.register": VIEW,
        "audit.subjectrequest": HANDLE,
        "recording.destructionrecord": VIEW,
    },
}

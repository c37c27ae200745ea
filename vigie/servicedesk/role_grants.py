"""What each role may do on the service desk's models (merged by tenancy.roles).

The desk (technicians) works the tickets of every member it is assigned to; the
members' users open tickets and comment on them, and see only their own member's.
No role gets an image action here: tickets never show footage."""

from __future__ import annotations

from vigie.tenancy.roles import MANAGE, VIEW, Role

TICKET = "servicedesk.ticket"
COMMENT = "servicedesk.ticketcomment"
HISTORY = "servicedesk.ticketstatuschange"
ESCALATION = "servicedesk.ticketescalation"
SETTINGS = "servicedesk.desksettings"
CONTRACTOR = "servicedesk.contractor"

OPEN = ("view", "add")  # open tickets and comment; their history rows follow

GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.SYNDICATE_ADMIN: {
        TICKET: MANAGE,
        COMMENT: MANAGE,
        HISTORY: OPEN,
        ESCALATION: OPEN,
        SETTINGS: MANAGE,
        CONTRACTOR: MANAGE,
    },
    Role.TECHNICIAN: {
        TICKET: ("view", "add", "change"),
        COMMENT: OPEN,
        HISTORY: OPEN,
        ESCALATION: OPEN,
        SETTINGS: VIEW,
        CONTRACTOR: VIEW,
    },
    Role.TOWN_VIEWER: {TICKET: OPEN, COMMENT: OPEN, HISTORY: OPEN, SETTINGS: VIEW},
    Role.CSU_OPERATOR: {TICKET: OPEN, COMMENT: OPEN, HISTORY: OPEN},
    Role.AUDITOR: {
        TICKET: VIEW,
        COMMENT: VIEW,
        HISTORY: VIEW,
        ESCALATION: VIEW,
        SETTINGS: VIEW,
        CONTRACTOR: VIEW,
    },
}

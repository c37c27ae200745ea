"""Who sees the supervision: technicians and administrators everywhere they work, town
users their own member's cameras. Health is metadata: no image action is granted here."""

from vigie.tenancy.roles import MANAGE, VIEW, Role

HEALTH = ("supervision.camerahealth", "supervision.healthchange")

GRANTS = {
    Role.SYNDICATE_ADMIN: {
        **dict.fromkeys(HEALTH, VIEW),
        "supervision.supervisionpolicy": MANAGE,
    },
    Role.TECHNICIAN: {
        **dict.fromkeys(HEALTH, VIEW),
        "supervision.supervisionpolicy": VIEW,
    },
    Role.CSU_OPERATOR: dict.fromkeys(HEALTH, VIEW),
    Role.TOWN_VIEWER: {
        **dict.fromkeys(HEALTH, VIEW),
        "supervision.supervisionpolicy": VIEW,
    },
    Role.AUDITOR: {
        **dict.fromkeys(HEALTH, VIEW),
        "supervision.supervisionpolicy": VIEW,
    },
}

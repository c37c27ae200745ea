"""What each role may do on the evidence models (merged by tenancy.roles.role_grants).

Exporting footage needs, on top of these, the ``export`` image action on every camera
of the requisition (``inventory.camera``), which only habilitated operators hold.
"""

from vigie.tenancy.roles import MANAGE, VIEW, Role

MODELS = (
    "evidence.requisition",
    "evidence.requisitionrange",
    "evidence.reviewtime",
    "evidence.exportjob",
    "evidence.delivery",
)
PROCESS = ("view", "add", "change")
FILE = ("view", "add")

GRANTS = {
    Role.SYNDICATE_ADMIN: {
        **dict.fromkeys(MODELS, MANAGE),
        "evidence.yearlystatistics": MANAGE,
    },
    # Operators file on behalf of officers, review, export and deliver.
    Role.CSU_OPERATOR: {
        **dict.fromkeys(MODELS, PROCESS),
        "evidence.yearlystatistics": VIEW,
    },
    # Officers file their own requisitions (with their cameras and periods) and see
    # what became of them; they never browse cameras nor images.
    Role.JUDICIAL_OFFICER: {
        "evidence.requisition": FILE,
        "evidence.requisitionrange": FILE,
        "evidence.delivery": VIEW,
    },
    Role.TOWN_VIEWER: {
        "evidence.requisition": VIEW,
        "evidence.requisitionrange": VIEW,
        "evidence.delivery": VIEW,
        "evidence.yearlystatistics": VIEW,
    },
    Role.AUDITOR: {
        **dict.fromkeys(MODELS, VIEW),
        "evidence.yearlystatistics": VIEW,
    },
}

"""Template tags of the web UI: the main menu, shown according to what the user may view."""

from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from vigie.core.views import may

register = template.Library()

Entry = tuple[str, Any, str | None, tuple[str, ...]]

# Groups of (URL name, label, model label or None, URL names that make the entry current):
# an image wall or a laptop has no room for two dozen entries in one row.
MENU: list[tuple[Any, list[Entry]]] = [
    (
        _("Fleet"),
        [
            ("site_list", _("Sites"), "inventory.Site", ("site_",)),
            (
                "camera_list",
                _("Cameras"),
                "inventory.Camera",
                ("camera_list", "camera_detail", "camera_add", "camera_edit", "camera_delete"),
            ),
            ("camera_map", _("Map"), "inventory.Camera", ("camera_map",)),
            (
                "authorisation_list",
                _("Authorisations"),
                "inventory.Authorisation",
                ("authorisation_",),
            ),
            (
                "transportlink_list",
                _("Transport links"),
                "inventory.TransportLink",
                ("transportlink_",),
            ),
            ("recordernode_list", _("Recorders"), "inventory.RecorderNode", ("recordernode_",)),
            ("storagepool_list", _("Storage"), "inventory.StoragePool", ("storagepool_",)),
        ],
    ),
    (
        _("Operations"),
        [
            (
                "supervision_dashboard",
                _("Supervision"),
                "supervision.CameraHealth",
                ("supervision_", "camerahealth_"),
            ),
            ("ticket_list", _("Tickets"), "servicedesk.Ticket", ("ticket_",)),
            (
                "servicedesk_report",
                _("Desk reports"),
                "servicedesk.Ticket",
                ("servicedesk_report",),
            ),
            ("contractor_list", _("Contractors"), "servicedesk.Contractor", ("contractor_",)),
            (
                "desksettings_list",
                _("Desk settings"),
                "servicedesk.DeskSettings",
                ("desksettings_",),
            ),
        ],
    ),
    (
        _("Justice and rights"),
        [
            (
                "requisition_list",
                _("Requisitions"),
                "evidence.Requisition",
                ("requisition_", "exportjob_"),
            ),
            ("legalhold_list", _("Legal holds"), "recording.LegalHold", ("legalhold_",)),
            (
                "evidence_statistics",
                _("Statistics"),
                "evidence.YearlyStatistics",
                ("evidence_statistics", "yearlystatistics_"),
            ),
            (
                "subjectrequest_list",
                _("Requests from persons"),
                "audit.SubjectRequest",
                ("subjectrequest_",),
            ),
        ],
    ),
    (
        _("People and rights"),
        [
            ("member_list", _("Members"), "tenancy.Member", ("member_",)),
            ("user_list", _("People"), "tenancy.User", ("user_",)),
            ("designation_list", _("Designations"), "tenancy.Designation", ("designation_",)),
            ("approval_list", _("Approvals"), "tenancy.Approval", ("approval_",)),
            (
                "operatordelegation_list",
                _("Delegations"),
                "tenancy.OperatorDelegation",
                ("operatordelegation_",),
            ),
        ],
    ),
]


def _entry(user: Any, current: str, entry: Entry) -> dict[str, Any] | None:
    url_name, label, model_label, prefixes = entry
    if model_label is not None and not may(user, apps.get_model(model_label), "view"):
        return None
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return None
    return {"url": url, "label": label, "current": any(current.startswith(p) for p in prefixes)}


def _extra_entries(user: Any, current: str) -> dict[Any, list[dict[str, Any]]]:
    """Entries that no single model's view right decides."""
    from vigie.audit.registers import may_see_journal, may_see_registers

    extra: dict[Any, list[dict[str, Any]]] = {}
    if may_see_registers(user) or may_see_journal(user):
        extra[MENU[2][0]] = [
            {
                "url": reverse("register_index"),
                "label": _("Registers"),
                "current": current.startswith(("register", "journal_register")),
            }
        ]
    if may(user, apps.get_model("inventory.Camera"), "add"):
        extra[MENU[0][0]] = [
            {
                "url": reverse("camera_import"),
                "label": _("Import"),
                "current": current.startswith("camera_import"),
            }
        ]
    return extra


@register.inclusion_tag("core/_menu.html", takes_context=True)
def main_menu(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    current = getattr(getattr(request, "resolver_match", None), "url_name", "") or ""
    extra = _extra_entries(user, current)
    groups = []
    for label, entries in MENU:
        items = [e for e in (_entry(user, current, entry) for entry in entries) if e]
        items += extra.get(label, [])
        if items:
            groups.append(
                {"label": label, "items": items, "current": any(i["current"] for i in items)}
            )
    home = {"url": reverse("home"), "label": _("Dashboard"), "current": current == "home"}
    return {"home": home, "groups": groups}

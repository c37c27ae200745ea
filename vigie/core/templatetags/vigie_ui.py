"""Template tags of the web UI: the main menu, shown according to what the user may view."""

from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from vigie.core.views import may

register = template.Library()

# (URL name, label, model label or None, URL names that make the entry current)
MENU: list[tuple[str, Any, str | None, tuple[str, ...]]] = [
    ("home", _("Dashboard"), None, ("home",)),
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
    ("site_list", _("Sites"), "inventory.Site", ("site_",)),
    (
        "camera_list",
        _("Cameras"),
        "inventory.Camera",
        ("camera_list", "camera_detail", "camera_add", "camera_edit", "camera_delete"),
    ),
    ("camera_map", _("Map"), "inventory.Camera", ("camera_map",)),
    ("authorisation_list", _("Authorisations"), "inventory.Authorisation", ("authorisation_",)),
    ("transportlink_list", _("Transport links"), "inventory.TransportLink", ("transportlink_",)),
    ("recordernode_list", _("Recorders"), "inventory.RecorderNode", ("recordernode_",)),
    ("storagepool_list", _("Storage"), "inventory.StoragePool", ("storagepool_",)),
    ("legalhold_list", _("Legal holds"), "recording.LegalHold", ("legalhold_",)),
    (
        "requisition_list",
        _("Requisitions"),
        "evidence.Requisition",
        ("requisition_", "exportjob_"),
    ),
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
    (
        "supervision_dashboard",
        _("Supervision"),
        "supervision.CameraHealth",
        ("supervision_", "camerahealth_"),
    ),
    ("ticket_list", _("Tickets"), "servicedesk.Ticket", ("ticket_",)),
    ("servicedesk_report", _("Desk reports"), "servicedesk.Ticket", ("servicedesk_report",)),
    ("contractor_list", _("Contractors"), "servicedesk.Contractor", ("contractor_",)),
    ("desksettings_list", _("Desk settings"), "servicedesk.DeskSettings", ("desksettings_",)),
]


@register.inclusion_tag("core/_menu.html", takes_context=True)
def main_menu(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    current = getattr(getattr(request, "resolver_match", None), "url_name", "") or ""
    items = []
    for url_name, label, model_label, prefixes in MENU:
        if model_label is not None and not may(user, apps.get_model(model_label), "view"):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append(
            {"url": url, "label": label, "current": any(current.startswith(p) for p in prefixes)}
        )
    from vigie.audit.registers import may_see_journal, may_see_registers

    if may_see_registers(user) or may_see_journal(user):
        items.append(
            {
                "url": reverse("register_index"),
                "label": _("Registers"),
                "current": current.startswith(("register", "journal_register")),
            }
        )
    if may(user, apps.get_model("inventory.Camera"), "add"):
        items.append(
            {
                "url": reverse("camera_import"),
                "label": _("Import"),
                "current": current.startswith("camera_import"),
            }
        )
    return {"items": items}

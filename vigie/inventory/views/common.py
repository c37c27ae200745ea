"""Cells shared by several inventory pages."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from vigie.core.views import badge
from vigie.inventory.choices import CameraStatus
from vigie.inventory.models import Camera

STATUS_BADGE = {
    CameraStatus.IN_SERVICE: "ok",
    CameraStatus.DEGRADED: "warn",
    CameraStatus.OUT_OF_ORDER: "bad",
    CameraStatus.PLANNED: "info",
    CameraStatus.DECOMMISSIONED: "muted",
}


def camera_status(camera: Any) -> SafeString:
    return badge(camera.get_status_display(), STATUS_BADGE.get(camera.status, "muted"))


def enabled_badge(obj: Any) -> SafeString:
    # In French the adjective agrees with the noun: "caméra activée", "enregistreur activé".
    context = "camera" if isinstance(obj, Camera) else "device"
    if obj.enabled:
        return badge(pgettext(context, "Enabled"), "ok")
    return badge(pgettext(context, "Disabled"), "muted")


def authorisation_state(auth: Any, expiring_ids: set[int] | None = None) -> SafeString:
    """Revoked, expired, renewal due (4 months before expiry), not yet in force, or valid."""
    if auth.revoked:
        return badge(_("Revoked"), "bad")
    if auth.is_valid():
        soon = auth.pk in expiring_ids if expiring_ids is not None else auth.expires_soon()
        return badge(_("Expires soon"), "warn") if soon else badge(_("Valid"), "ok")
    if auth.issued_on > timezone.localdate():
        return badge(_("Not yet in force"), "info")
    return badge(_("Expired"), "bad")

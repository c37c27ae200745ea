"""Template tags of the recording app: the storage alarm banner of every page and the
legal holds of a camera (on its recording page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from vigie.core.views import may, members_allowed
from vigie.inventory.models import StoragePool
from vigie.recording.models import AlarmSeverity, LegalHold, StorageAlarm
from vigie.recording.storage_alarms import active_storage_alarms

register = template.Library()


def _user(context: template.Context) -> Any:
    user = getattr(context.get("request"), "user", None)
    return user if user is not None and user.is_authenticated else None


def _within(allowed: frozenset[int] | None, member_id: int | None) -> bool:
    return allowed is None or member_id in allowed


@register.inclusion_tag("recording/_storage_alarm_banner.html", takes_context=True)
def storage_alarm_banner(context: template.Context) -> dict[str, Any]:
    """Active critical storage alarms, for those who may see them (the dashboard's
    permission: ``view`` on storage alarms). At most one query; none for anonymous
    users or people without the grant."""
    user = _user(context)
    if user is None or not may(user, StorageAlarm, "view"):
        return {"alarms": []}
    alarms = list(
        active_storage_alarms(user)
        .filter(severity=AlarmSeverity.CRITICAL)
        .order_by("-raised_at", "-pk")
    )
    pools = members_allowed(user, StoragePool, "view")
    return {
        "alarms": [
            {
                "alarm": alarm,
                # A link only for those who may open the pool's page (not operators).
                "pool_url": reverse("storagepool_detail", args=[alarm.storage_pool_id])
                if _within(pools, alarm.storage_pool.member_id)
                else None,
            }
            for alarm in alarms
        ]
    }


@register.inclusion_tag("recording/_camera_holds.html", takes_context=True)
def camera_holds(context: template.Context, camera: Any) -> dict[str, Any]:
    """The holds in force on this camera that the user may see, and a link to place one
    pre-filled with the camera when the user may place holds in its member."""
    user = _user(context)
    if user is None:
        return {"visible": False}
    may_view = may(user, LegalHold, "view")
    may_add = _within(members_allowed(user, LegalHold, "add"), camera.member_id)
    if not may_view and not may_add:
        return {"visible": False}
    holds = (
        LegalHold.objects.restrict(user, "view")
        .filter(released_at__isnull=True, cameras=camera)
        .order_by("start", "pk")
    )
    query = urlencode({"member": camera.member_id, "cameras": camera.pk})
    return {
        "visible": True,
        "camera": camera,
        "holds": list(holds) if may_view else [],
        "add_url": f"{reverse('legalhold_add')}?{query}" if may_add else None,
        "list_url": f"{reverse('legalhold_list')}?{urlencode({'camera': camera.pk})}"
        if may_view
        else None,
    }

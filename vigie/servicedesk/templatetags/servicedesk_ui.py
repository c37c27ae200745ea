"""Template tags of the service desk: the notification count of the page header."""

from __future__ import annotations

from typing import Any

from django import template

from vigie.servicedesk.services import unread_count

register = template.Library()


@register.inclusion_tag("servicedesk/_notification_badge.html", takes_context=True)
def notification_badge(context: dict[str, Any]) -> dict[str, Any]:
    """``{% load servicedesk_ui %}{% notification_badge %}``: a link to my notifications
    with the number not read yet."""
    request = context.get("request")
    return {"unread": unread_count(getattr(request, "user", None))}

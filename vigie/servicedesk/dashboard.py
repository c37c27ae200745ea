"""Home page panel of the service desk: open tickets, those overdue, my unread notices."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse

from vigie.core.views import Panel, register_panel
from vigie.servicedesk import services
from vigie.servicedesk.filters import TicketFilter
from vigie.servicedesk.models import OPEN_STATUSES, Ticket

SHOWN = 5


def servicedesk(request: HttpRequest) -> dict[str, Any] | None:
    tickets = Ticket.objects.restrict(request.user, "view")
    unread = services.unread_count(request.user)
    open_tickets = tickets.filter(status__in=OPEN_STATUSES)
    if not unread and not open_tickets.exists():
        return None
    overdue = TicketFilter({"overdue": "true"}, queryset=open_tickets, request=request).qs
    counts = dict(open_tickets.values_list("priority").annotate(n=Count("pk")).order_by())
    return {
        "open_count": open_tickets.count(),
        "by_priority": [(f"P{p}", counts[p]) for p in sorted(counts)],
        "overdue": list(overdue.select_related("member").order_by("resolution_due")[:SHOWN]),
        "overdue_count": overdue.count(),
        "unread": unread,
        "list_url": reverse("ticket_list") + "?open=true",
    }


register_panel(Panel("servicedesk", "servicedesk/panels/servicedesk.html", servicedesk, order=30))

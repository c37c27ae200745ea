from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    """Service desk: tickets and their service levels (docs/servicedesk.md).

    Tickets on top of the pure deadline engine `sla.py`."""

    name = "vigie.servicedesk"
    label = "servicedesk"

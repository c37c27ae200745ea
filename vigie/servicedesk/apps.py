from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    """Service desk: tickets and their service levels (docs/servicedesk.md).

    No models yet; `sla.py` holds the pure deadline engine."""

    name = "vigie.servicedesk"
    label = "servicedesk"

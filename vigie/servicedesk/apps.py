from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    """Service desk: tickets and their service levels (docs/servicedesk.md).

    Tickets on top of the pure deadline engine `sla.py`."""

    name = "vigie.servicedesk"
    label = "servicedesk"

    def ready(self) -> None:
        from vigie.servicedesk.services import notify_expiry_reminder
        from vigie.tenancy.signals import expiry_reminder_sent

        expiry_reminder_sent.connect(notify_expiry_reminder, dispatch_uid="servicedesk-expiry")

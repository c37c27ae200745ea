from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "vigie.audit"
    label = "audit"
    verbose_name = "Journal"

from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """Judicial requisitions, evidence packages and their verification, statistics."""

    name = "vigie.evidence"
    label = "evidence"

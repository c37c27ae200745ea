from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    """Technical supervision: probes, health states and their history, availability."""

    name = "vigie.supervision"
    label = "supervision"

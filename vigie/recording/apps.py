from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingConfig(AppConfig):
    name = "vigie.recording"
    label = "recording"
    verbose_name = _("Recording")

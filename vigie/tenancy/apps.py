from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "vigie.tenancy"
    label = "tenancy"
    verbose_name = _("Members and people")

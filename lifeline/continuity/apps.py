from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContinuityConfig(AppConfig):
    name = "lifeline.continuity"
    label = "continuity"
    verbose_name = _("Downtime continuity")

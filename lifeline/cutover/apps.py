from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CutoverConfig(AppConfig):
    name = "lifeline.cutover"
    label = "cutover"
    verbose_name = _("Go-live cutover")

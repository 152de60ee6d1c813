from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContinuityConfig(AppConfig):
    name = "lifeline.continuity"
    label = "continuity"
    verbose_name = _("Downtime continuity")

    def ready(self):
        from django.utils.translation import gettext

        from lifeline.his import wording

        wording.use(gettext)  # the Django-free HIS side and package format speak the active language

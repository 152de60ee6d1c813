from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "lifeline.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from lifeline.core import incident_links
        from lifeline.incidents import links

        incident_links.describe_with(links.describe)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "lifeline.stations"
    label = "stations"
    verbose_name = _("Emergency workstations")

    def ready(self):
        from lifeline.accounts.permissions import can_manage_stations
        from lifeline.core import incident_links

        incident_links.offer("declare_downtime", incident_links.Offer(
            _("Declare downtime (workstations into emergency mode)"), "stations:declare", can_manage_stations))

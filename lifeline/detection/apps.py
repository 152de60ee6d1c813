from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DetectionConfig(AppConfig):
    name = "lifeline.detection"
    label = "detection"
    verbose_name = _("Detection")

    def ready(self):
        # Alarms of the apps below become alerts; status learns what the probes find.
        from lifeline.detection import listeners

        listeners.connect()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "lifeline.inspections"
    label = "inspections"
    verbose_name = _("Inspections and spare parts")

    def ready(self):
        # Automatic items read probe states; the plan page learns which measures a checklist or
        # the spare-parts stock backs.
        from lifeline.inspections import backing, providers

        providers.register_probes()
        backing.connect()

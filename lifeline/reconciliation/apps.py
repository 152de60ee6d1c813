from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconciliationConfig(AppConfig):
    name = "lifeline.reconciliation"
    label = "reconciliation"
    verbose_name = _("Reconciliation")

    def ready(self):
        # The fault analysis sits below this app: it asks its registry, this app answers.
        from lifeline.analysis import sections
        from lifeline.reconciliation import services

        sections.register(services.analysis_section)

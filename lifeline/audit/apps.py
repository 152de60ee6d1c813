from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "lifeline.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self):
        from lifeline.audit import erasing, signals

        signals.connect()
        connection_created.connect(erasing.register, dispatch_uid="lifeline.audit.erasing")

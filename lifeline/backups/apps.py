from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupsConfig(AppConfig):
    name = "lifeline.backups"
    label = "backups"
    verbose_name = _("Backups and disaster recovery")

    def ready(self):
        # The plan page learns which backup and DR measures a running check backs.
        from lifeline.backups import preparedness

        preparedness.connect()

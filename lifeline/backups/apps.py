from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupsConfig(AppConfig):
    name = "lifeline.backups"
    label = "backups"
    verbose_name = _("Backups and disaster recovery")

    def ready(self):
        # The plan page learns which backup and DR measures a running check backs; inspection
        # rounds read backup jobs' states as automatic items.
        from lifeline.backups import inspection_items, preparedness

        preparedness.connect()
        inspection_items.connect()

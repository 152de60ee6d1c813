from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "lifeline.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self):
        from lifeline.notify import sink

        sink.register()

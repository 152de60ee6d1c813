from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "lifeline.site"
    label = "site"

    def ready(self):
        from lifeline.site import calendar_attention

        calendar_attention.connect()

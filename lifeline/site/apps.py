from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "lifeline.site"
    label = "site"

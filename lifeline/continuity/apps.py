from django.apps import AppConfig


class ContinuityConfig(AppConfig):
    name = "lifeline.continuity"
    label = "continuity"
    verbose_name = "continuity (migration history only)"

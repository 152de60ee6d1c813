from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "lifeline.people"
    label = "people"
    verbose_name = _("Organisation")

    def ready(self):
        from lifeline.core.signals import plan_activated
        from lifeline.people.plan_teams import sync_plan_groups

        plan_activated.connect(sync_plan_groups, dispatch_uid="people.sync_plan_groups")

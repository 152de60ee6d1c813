from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from lifeline.core import departments, rosters


class PeopleConfig(AppConfig):
    name = "lifeline.people"
    label = "people"
    verbose_name = _("Organisation")

    def ready(self):
        from lifeline.core.signals import plan_activated
        from lifeline.people.plan_teams import sync_plan_groups

        plan_activated.connect(sync_plan_groups, dispatch_uid="people.sync_plan_groups")
        departments.register(member_departments)
        rosters.register(rostered_roles)


def member_departments():
    """The organisation's departments: those its active members belong to."""
    from lifeline.people.models import Member

    return Member.objects.filter(active=True).values_list("department", flat=True).distinct()


def rostered_roles():
    """The plan roles a rotation fills, or a shift from now on."""
    from lifeline.core import clock
    from lifeline.people.models import RosterRotation, Shift

    roles = set(RosterRotation.objects.values_list("role", flat=True))
    return roles | set(Shift.objects.filter(ends_at__gt=clock.now()).values_list("role", flat=True))

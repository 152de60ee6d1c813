"""DR runbooks (容灾): a component's failover or failback started as an incident or as a drill.

The procedure is a scenario of a plan (seed 003's 数据库服务器集群单台故障 …): starting it opens an
incident under that plan with the scenario started, so its steps become the timed checklist
of the incident page (each step's done time is kept there). A drill is the same incident marked
as a drill (statistics leave it out, messages carry 【演练】).
"""
from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.backups.models import DrComponent, Switchover
from lifeline.core.errors import Refused
from lifeline.incidents import lifecycle
from lifeline.plans import services as plans
from lifeline.plans.models import PlanVersion


def scenario_of(component: DrComponent, direction: str) -> str:
    scenario_id = {Switchover.Direction.FAILOVER: component.failover_scenario_id,
                   Switchover.Direction.FAILBACK: component.failback_scenario_id}.get(direction)
    if scenario_id is None:
        raise Refused("direction", _("choose failover or failback"))
    if not component.procedure_plan_id or not scenario_id:
        raise Refused("direction", _("no %(direction)s procedure is linked to %(component)s yet") % {
            "direction": Switchover.Direction(direction).label, "component": component.name})
    return scenario_id


@transaction.atomic
def start(component: DrComponent, direction: str, *, drill: bool, user=None) -> Switchover:
    """Open the incident (or drill) running the procedure; Refused when none is linked or the plan lacks it."""
    scenario_id = scenario_of(component, direction)
    title = _("%(direction)s of %(component)s") % {"direction": Switchover.Direction(direction).label,
                                                   "component": component.name}
    incident = lifecycle.open_incident(plan_id=component.procedure_plan_id, title=title, scenario_id=scenario_id,
                                       is_drill=drill, user=user)
    return Switchover.objects.create(component=component, direction=direction, incident=incident,
                                     started_at=incident.opened_at)


def scenarios(plan_id: str) -> list:
    """The plan's scenarios (id, name) to link as procedures; none for an unknown plan."""
    try:
        version = plans.active_version(plan_id)
    except PlanVersion.DoesNotExist:
        return []
    return [(s.id, s.name) for s in version.content.scenarios]

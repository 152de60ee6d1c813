"""Alerts nobody routes are not silent.

An alert group that opened no incident (no active plan has a scenario naming its component,
or the plan refused it) is kept with the reason (AlertGroup.problem). Left on the integrations
page only, a misrouted outage would be invisible; so while such a group fires it is shown in
red on the command dashboard (lifeline.incidents.attention) and on the status wall (the wall's
"unrouted" section, lifeline.status.sources), both registered in listeners.connect().

An integration created without a plan routes only by component, so it says so when it is
created (page and `lifeline integration create`) and on the integrations page
(`routing_warnings`).
"""
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from lifeline.detection.models import AlertGroup, Integration, Probe
from lifeline.incidents import attention
from lifeline.plans.models import PlanVersion

# The board and the wall show at most this many (newest first); the integrations page has them all.
SHOWN = 20


def groups():
    """Firing alert groups that opened no incident, with the reason kept, newest first.

    Groups muted by a silence or a maintenance window open nothing on purpose and keep no
    reason: they are not listed.
    """
    return (AlertGroup.objects.filter(state=AlertGroup.State.FIRING, incident__isnull=True)
            .exclude(problem="").select_related("component").order_by("-first_at", "-pk"))


def source_names(sources) -> dict[str, str]:
    """People's names for alert sources ("integration:3" → its name, "probe:7" → the probe's)."""
    sources = set(sources)
    wanted = {kind: [] for kind in ("integration", "probe")}
    for source in sources:
        kind, _sep, pk = source.partition(":")
        if kind in wanted and pk.isdigit():
            wanted[kind].append(int(pk))
    names = {f"integration:{pk}": name for pk, name in
             Integration.objects.filter(pk__in=wanted["integration"]).values_list("pk", "name")}
    names |= {f"probe:{pk}": _("probe %(name)s") % {"name": name} for pk, name in
              Probe.objects.filter(pk__in=wanted["probe"]).values_list("pk", "name")}
    return {source: names.get(source) or _("Lifeline's own checks") for source in sources}


def _shown():
    found = list(groups()[:SHOWN])
    return found, source_names(g.source for g in found)


def _title(group: AlertGroup) -> str:
    summary = group.summary or group.key
    return f"{group.component.name}：{summary}" if group.component else summary


def attention_items() -> list[attention.Item]:
    """The command dashboard's red lines: one per unrouted group, with where to route it."""
    found, names = _shown()
    url = reverse("detection:integrations") + "#unrouted"
    kind = _("Alert no plan routes")
    return [attention.Item(kind=kind, title=_title(g), why=g.problem, url=url, since=g.first_at, source=names[g.source])
            for g in found]


def wall_tiles() -> list[dict]:
    """The status wall's "unrouted" section: red tiles, newest first."""
    found, names = _shown()
    return [{"name": _title(g), "source": names[g.source], "why": g.problem,
             "since": localtime(g.first_at).isoformat()} for g in found]


# --- integrations without a plan ------------------------------------------------------------

def routing_warnings(integration: Integration, plans=None) -> list[str]:
    """What its people should know about where the integration's alerts go: nothing when it
    names a plan (check_routing has checked it); otherwise that only a plan naming the alert's
    component opens an incident, and whether any active plan names its default component.
    `plans`: the active plans' contents, when the caller has them already."""
    if integration.plan_id:
        return []
    found = [_("No plan is set: an alert opens an incident only when an active plan has a scenario naming "
               "its component. Any other alert opens no incident; it is shown in red on the command "
               "dashboard and the status wall until it resolves.")]
    component = integration.component
    if plans is None:
        plans = [version.content for version in PlanVersion.objects.filter(is_active=True)]
    if component is not None and not any(component.names & set(scenario.components)
                                         for plan in plans for scenario in plan.scenarios):
        found.append(_("No active plan has a scenario naming its default component %(component)s: alerts "
                       "that name no other component open no incident. Set the plan, or add the component "
                       "to a scenario of the plan.") % {"component": component.name})
    return found


# --- the integrations page ------------------------------------------------------------------

def name_sources(groups) -> list:
    """Give each alert group `source_name`, its source as people call it."""
    names = source_names(g.source for g in groups)
    for group in groups:
        group.source_name = names[group.source]
    return groups


def describe(integrations) -> list[Integration]:
    """Give each integration its routing in words (`plan_name`, `scenario_name`, `level_name`:
    the active plan's names for the ids, else the ids) and its `warnings` (routing_warnings)."""
    plans = {v.plan_id: v.content for v in PlanVersion.objects.filter(is_active=True)}
    found = list(integrations)
    for integration in found:
        plan = plans.get(integration.plan_id)
        scenarios = {s.id: s.name for s in plan.scenarios} if plan is not None else {}
        levels = {lv.id: lv.name for lv in plan.levels} if plan is not None else {}
        integration.plan_name = plan.name if plan is not None else integration.plan_id
        integration.scenario_name = scenarios.get(integration.scenario_id, integration.scenario_id)
        integration.level_name = levels.get(integration.level_id, integration.level_id)
        integration.severity_names = [(severity, levels.get(level, level))
                                      for severity, level in integration.severity_levels.items()]
        integration.warnings = routing_warnings(integration, list(plans.values()))
    return found

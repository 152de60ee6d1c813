"""Components' state, computed from the liaison's overrides, maintenance, probes and incidents.

The order of the rules is the order of the checks: the liaison's override wins; then a
maintenance window (维护中); then a down probe, or an open incident that suspends the
component — its working mode there is stand-alone or manual, or its level is the plan's
most severe (暂停服务); then a flapping probe or any other open incident naming the
component (部分功能受影响); else 正常. Drills never change a state: patients must not see an exercise.

Probes belong to the detection app above this one: it tells what they find through
lifeline.status.sources (a down probe is an outage finding, a flapping one a degraded one).
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.incidents.models import Incident
from lifeline.status import sources
from lifeline.status.models import Component, MaintenanceWindow, Notice, Override

State = Component.State
# Departments working stand-alone or on paper: the service is suspended for patients.
SUSPENDING_MODES = {"stand-alone", "manual"}
# Worst first: the page's overall state is the worst of its components'.
SEVERITY = [State.OUTAGE, State.DEGRADED, State.MAINTENANCE, State.OPERATIONAL]
HISTORY_DAYS = 14
OPEN = [s for s in Incident.Status.values if s not in Incident.Status.finished()]


def in_maintenance(component: Component, at: datetime | None = None) -> bool:
    """True while a maintenance window covers the component (failures then open no incident)."""
    at = at or clock.now()
    return MaintenanceWindow.objects.filter(components=component, starts_at__lte=at, ends_at__gt=at).exists()


@dataclass
class ComponentStatus:
    component: Component
    state: str
    # For staff (the wall, the liaison's page), never for patients: what made the state.
    why: list[str] = field(default_factory=list)
    override: Override | None = None

    @property
    def label(self) -> str:
        return str(State(self.state).label)


def worst(states) -> str:
    states = set(states)
    return next((s for s in SEVERITY if s in states), State.OPERATIONAL)


# --- incidents -----------------------------------------------------------------------------

def open_incidents(drills=False) -> list[Incident]:
    """Open incidents, oldest first, each plan version parsed once however many incidents share it."""
    found = Incident.objects.open().prefetch_related("plan_version").order_by("opened_at", "pk")
    return list(found if drills else found.real())


def named_components(incident: Incident) -> set[str]:
    """The component names an incident touches: its services, its scenario's, its working modes'."""
    scenario = incident.scenario
    return {*incident.services, *(scenario.components if scenario else ()), *incident.modes} - {"*"}


def impact(incident: Incident, component: Component) -> str | None:
    """What an incident does to a component: outage, degraded, or nothing."""
    names = component.names
    if not names & named_components(incident):
        return None
    modes = incident.modes
    if any(modes.get(n) in SUSPENDING_MODES for n in (*names, "*")):
        return State.OUTAGE
    most_severe = min(level.rank for level in incident.plan.levels)
    if incident.level and incident.level.rank == most_severe:
        return State.OUTAGE
    return State.DEGRADED


# --- states ----------------------------------------------------------------------------------

def statuses(components=None) -> list[ComponentStatus]:
    """The state of each component (all of them by default), in a handful of queries."""
    now = clock.now()
    components = list(Component.objects.all() if components is None else components)
    overrides = {o.component_id: o for o in Override.objects.current(now).order_by("starts_at", "pk")}
    maintained = set(MaintenanceWindow.objects.filter(starts_at__lte=now, ends_at__gt=now)
                     .values_list("components", flat=True))
    found = sources.findings()
    incidents = open_incidents()
    return [_status(c, overrides.get(c.pk), c.pk in maintained, found.get(c.pk, []), incidents)
            for c in components]


def _status(component, override, maintained, findings, incidents) -> ComponentStatus:
    if override:
        return ComponentStatus(component, override.state, [_("set by hand until %(until)s: %(reason)s") % {
            "until": f"{localtime(override.ends_at):%m-%d %H:%M}", "reason": override.reason}], override)
    if maintained:
        return ComponentStatus(component, State.MAINTENANCE, [_("maintenance window")])
    why = [f.why for f in findings]
    found = [f.state for f in findings]
    for incident in incidents:
        effect = impact(incident, component)
        if effect:
            found.append(effect)
            why.append(f"#{incident.pk} {incident.title}")
    return ComponentStatus(component, worst(found), why)


def component_state(component: Component) -> ComponentStatus:
    return statuses([component])[0]


# --- what the public sees ----------------------------------------------------------------------

def current_notices(public=True):
    """Notices in force; one published for an incident ends with it. The public never sees a drill's."""
    found = (Notice.objects.current()
             .filter(Q(incident__isnull=True) | Q(incident__status__in=OPEN))
             .prefetch_related("components").select_related("incident"))
    return found.exclude(incident__is_drill=True) if public else found


@dataclass
class HistoryEntry:
    """An incident or a maintenance window as patients see it: what, when; no title, no names."""

    started_at: datetime
    ended_at: datetime | None
    state: str
    components: list[str]
    notices: list[str]

    @property
    def label(self) -> str:
        return str(State(self.state).label)


def history(components: list[Component], days=HISTORY_DAYS) -> list[HistoryEntry]:
    """The last `days` of real incidents and maintenance on these components, newest first."""
    since = clock.now() - timedelta(days=days)
    entries = []
    incidents = (Incident.objects.real().filter(Q(opened_at__gte=since) | Q(resolved_at__isnull=True))
                 .prefetch_related("plan_version", "status_notices"))
    for incident in incidents:
        hit = [(c, impact(incident, c)) for c in components]
        hit = [(c, effect) for c, effect in hit if effect]
        if hit:
            entries.append(HistoryEntry(incident.opened_at, incident.resolved_at, worst(e for _c, e in hit),
                                        [c.name for c, _e in hit],
                                        [n.title for n in incident.status_notices.all() if n.withdrawn_at is None]))
    wanted = {c.pk for c in components}
    windows = (MaintenanceWindow.objects.filter(starts_at__gte=since, starts_at__lte=clock.now())
               .prefetch_related("components"))
    for window in windows:
        names = [c.name for c in window.components.all() if c.pk in wanted]
        if names:
            entries.append(HistoryEntry(window.starts_at, window.ends_at, State.MAINTENANCE, names,
                                        [window.note] if window.note else []))
    return sorted(entries, key=lambda e: e.started_at, reverse=True)


def planned_maintenance(components: list[Component]) -> list[MaintenanceWindow]:
    """Windows not yet over that touch these components (patients plan their visit around them)."""
    return list(MaintenanceWindow.objects.filter(ends_at__gt=clock.now(), components__in=components)
                .distinct().order_by("starts_at").prefetch_related("components"))


@dataclass
class Public:
    updated_at: datetime
    state: str
    statuses: list[ComponentStatus]
    notices: list[Notice]
    planned: list[MaintenanceWindow]

    @property
    def label(self) -> str:
        return str(State(self.state).label)


def public() -> Public:
    """Everything the public page, the feed and the banner show."""
    components = list(Component.objects.filter(public=True))
    found = statuses(components)
    return Public(clock.now(), worst(s.state for s in found), found, list(current_notices()),
                  planned_maintenance(components))

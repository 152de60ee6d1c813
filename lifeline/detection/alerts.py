"""Alerts from every source become incidents: store, dedupe, group, route, open, resolve.

Probes, the continuity checks and the receivers (Alertmanager, Zabbix, webhook) all come
through `ingest` (or `raise_signal` for one alert). A repeated alert updates its row (one per
source and fingerprint); alerts group by their source's key, and a group opens at most one
incident while that incident is open; a new group of an outage that already has an open
incident (the same component, or the same plan scenario) joins it. Alerts of a group whose
incident is already open cost one upsert and no incident work, so a storm of thousands stays
one incident. When every alert
of a group has resolved the timeline says so; the commander decides whether the incident is
over. Silenced alerts, and alerts on a component under maintenance, are stored and open nothing.
"""
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.detection.models import Alert, AlertGroup, Silence
from lifeline.incidents import lifecycle, timeline, wording
from lifeline.incidents.models import Incident, TimelineEntry
from lifeline.plans.models import PlanVersion
from lifeline.status import services as status
from lifeline.status.models import Component

SUMMARY_CHARS = Alert._meta.get_field("summary").max_length
KEY_CHARS = AlertGroup._meta.get_field("key").max_length
OPEN = [s for s in Incident.Status.values if s not in Incident.Status.finished()]


@dataclass
class Signal:
    """One alert as a source reports it, already routed (plan, scenario, level, component)."""

    source: str
    fingerprint: str
    firing: bool
    summary: str
    labels: dict = field(default_factory=dict)
    component: Component | None = None
    plan_id: str = ""
    scenario_id: str = ""
    level_id: str = ""
    group_key: str = ""  # empty: the alert is a group of its own
    at: datetime | None = None  # when it started (firing) or ended (resolved); default now
    starts_at: datetime | None = None  # a resolved alert's start, when the source says it
    origin: str = ""  # who raised it, as the timeline names it (an integration's or a probe's name)

    @property
    def key(self) -> str:
        return (self.group_key or self.fingerprint)[:KEY_CHARS]


def raise_signal(*, source: str, fingerprint: str, firing: bool, summary: str, component: Component | None = None,
                 plan_id: str = "", scenario_id: str = "", level_id: str = "", labels: dict | None = None,
                 group_key: str = "", at: datetime | None = None, origin: str = "") -> Alert:
    """One alert from any source ("probe:<id>", "integration:<id>", "continuity:freshness");
    `origin` names the source for people on the timeline (a probe's name, say)."""
    ingest([Signal(source=source, fingerprint=fingerprint, firing=firing, summary=summary, labels=labels or {},
                   component=component, plan_id=plan_id, scenario_id=scenario_id, level_id=level_id,
                   group_key=group_key, at=at, origin=origin)])
    return Alert.objects.get(source=source, fingerprint=fingerprint)


@transaction.atomic(savepoint=False)  # within a request it joins the request's transaction: fewer round trips
def ingest(signals: list[Signal]) -> int:
    """Store the alerts and act on their groups; returns how many alerts were stored.

    Atomic: when it returns (and the request's transaction commits) every alert is stored.
    """
    latest = {(s.source, s.fingerprint): s for s in signals}  # a repeat within one batch: the last wins
    signals = list(latest.values())
    if not signals:
        return 0
    now = clock.now()
    mute = _Muting(now)
    groups = _groups(signals, now)
    firing, resolved = [], []
    for signal in signals:
        at = signal.at or now
        alert = Alert(source=signal.source, fingerprint=signal.fingerprint, group=groups[signal.source, signal.key],
                      summary=signal.summary[:SUMMARY_CHARS], labels=signal.labels, component=signal.component,
                      received_at=now)
        if signal.firing:
            alert.status, alert.starts_at = Alert.Status.FIRING, at
            alert.silence, alert.in_maintenance = mute.silence(signal), mute.maintenance(signal)
            firing.append(alert)
        else:
            alert.status, alert.starts_at, alert.ends_at = Alert.Status.RESOLVED, signal.starts_at or at, at
            resolved.append(alert)
    common = ["group", "status", "summary", "labels", "component", "received_at"]
    _upsert(firing, common + ["starts_at", "ends_at", "silence", "in_maintenance"])
    _upsert(resolved, common + ["ends_at"])  # a resolved alert keeps when it started and why it was muted
    for group, members in _by_group(signals, groups).items():
        live = next((s for s in members if s.firing and not mute.silence(s) and not mute.maintenance(s)), None)
        if live:
            _fire(group, live)
        elif any(not s.firing for s in members):
            _settle(group, members[0])
    return len(signals)


def _upsert(alerts: list[Alert], fields: list[str]):
    if alerts:
        Alert.objects.bulk_create(alerts, update_conflicts=True, unique_fields=["source", "fingerprint"],
                                  update_fields=fields)


def _groups(signals: list[Signal], now) -> dict[tuple[str, str], AlertGroup]:
    """The groups of the batch, created as needed, with their incident (one query when they exist)."""
    wanted = {(s.source, s.key): s for s in signals}

    def existing():
        found = {}
        for source in {source for source, _key in wanted}:
            keys = [key for src, key in wanted if src == source]
            for group in AlertGroup.objects.select_related("incident").filter(source=source, key__in=keys):
                found[group.source, group.key] = group
        return found

    groups = existing()
    missing = [AlertGroup(source=source, key=key, summary=s.summary[:300], component=s.component, first_at=now)
               for (source, key), s in wanted.items() if (source, key) not in groups]
    if missing:
        AlertGroup.objects.bulk_create(missing, ignore_conflicts=True)  # another request may create it too
        groups = existing()
    return groups


def _by_group(signals, groups) -> dict[AlertGroup, list[Signal]]:
    members = {}
    for signal in signals:
        members.setdefault(groups[signal.source, signal.key], []).append(signal)
    return members


def muted(*, labels: dict, component: Component | None, at: datetime) -> bool:
    """A silence or a maintenance window in force at `at` covers an alert of these labels and
    component (a source that raises its alert once, such as a probe, waits until it ends)."""
    signal = Signal(source="", fingerprint="", firing=True, summary="", labels=labels, component=component)
    mute = _Muting(at)
    return bool(mute.silence(signal)) or mute.maintenance(signal)


class _Muting:
    """Silences and maintenance windows in force now, looked up once per batch."""

    def __init__(self, now):
        self.now = now
        self.silences = list(Silence.objects.filter(starts_at__lte=now, ends_at__gt=now))
        self.windows = {}

    def silence(self, signal: Signal) -> Silence | None:
        component_id = signal.component.pk if signal.component else None
        return next((s for s in self.silences if s.matches(signal.labels, component_id)), None)

    def maintenance(self, signal: Signal) -> bool:
        component = signal.component
        if component is None:
            return False
        if component.pk not in self.windows:
            self.windows[component.pk] = status.in_maintenance(component, self.now)
        return self.windows[component.pk]


def _is_open(incident: Incident | None) -> bool:
    return incident is not None and incident.status in OPEN


def _fire(group: AlertGroup, signal: Signal):
    """A live alert in the group: its open incident goes on, or the group opens (or joins) one."""
    if _is_open(group.incident) and group.state == AlertGroup.State.FIRING:
        return  # the storm's fast path: nothing to do beyond storing the alert
    # Take the group's row so that two requests of one storm do not both open an incident.
    locked = AlertGroup.objects.select_for_update(of=("self",)).select_related("incident").get(pk=group.pk)
    if _is_open(locked.incident):
        if locked.state == AlertGroup.State.RESOLVED:
            locked.state = AlertGroup.State.FIRING
            locked.save(update_fields=["state"])
            _note(locked.incident, gettext_lazy("Source firing again: %(summary)s"), signal)
        return
    incident = _incident_of_outage(locked, signal) or _open(locked, signal)
    locked.state = AlertGroup.State.FIRING
    locked.incident = incident
    locked.save(update_fields=["state", "incident", "problem", "component"])
    group.incident, group.state = incident, locked.state


def _incident_of_outage(group: AlertGroup, signal: Signal) -> Incident | None:
    """An open incident that another group of the same outage opened: one outage, one incident,
    however the source groups its alerts. Groups are of one outage when they name the same
    component or, naming none, are routed to the same plan scenario."""
    if signal.component is not None:
        # Holding the component's row makes groups of one component open their incident one at a time.
        Component.objects.select_for_update().filter(pk=signal.component.pk).first()
        others = AlertGroup.objects.filter(component=signal.component)
    else:
        plan_id, scenario_id = _plan_and_scenario(signal)
        if not scenario_id:
            return None
        # The plan's active version stands for the scenario: held, as the component's row is.
        PlanVersion.objects.select_for_update().filter(plan_id=plan_id, is_active=True).first()
        others = AlertGroup.objects.filter(incident__plan_version__plan_id=plan_id,
                                           incident__scenario_id=scenario_id)
    other = (others.select_related("incident").exclude(pk=group.pk)
             .filter(incident__status__in=OPEN).order_by("-first_at").first())
    if other is None:
        return None
    group.component, group.problem = signal.component, ""
    _note(other.incident, gettext_lazy("More alerts joined this incident: %(summary)s"), signal)
    return other.incident


def _open(group: AlertGroup, signal: Signal) -> Incident | None:
    """Open an incident through the plan's scenario and level; None (and the reason kept) if none fits."""
    group.component = signal.component
    plan_id, scenario_id = _plan_and_scenario(signal)
    if not plan_id:
        group.problem = _("No plan names the component %(component)s; set the integration's plan.") % {
            "component": signal.component or "-"}
        return None
    title = f"{signal.component.name}：{signal.summary}" if signal.component else signal.summary
    # A level the plan does not have (a severity mapped for another plan) must not keep the
    # outage from opening an incident: it opens at the scenario's level, and the timeline says why.
    level_id = signal.level_id if _plan_has_level(plan_id, signal.level_id) else ""
    try:
        incident = lifecycle.open_incident(
            plan_id=plan_id, title=title[:200], scenario_id=scenario_id, level_id=level_id,
            services=[signal.component.name] if signal.component else [])
    except Refused as refused:
        group.problem = f"{refused.field}: {refused.message}"[:300]
        return None
    group.problem = ""
    _note(incident, gettext_lazy("Opened by an alert from %(origin)s: %(summary)s"), signal)
    if signal.level_id and not level_id:
        _note(incident, gettext_lazy("The alert asked for level %(level)s, which this plan does not have; opened "
                                     "at the level the plan gives it. Check the severity levels of %(origin)s."),
              signal, level=signal.level_id)
    return incident


def _plan_has_level(plan_id: str, level_id: str) -> bool:
    version = PlanVersion.objects.filter(plan_id=plan_id, is_active=True).first()
    return bool(level_id) and version is not None and any(lv.id == level_id for lv in version.content.levels)


def _plan_and_scenario(signal: Signal) -> tuple[str, str]:
    """The signal's plan and scenario; missing ones found from the component the scenarios name."""
    if signal.plan_id and signal.scenario_id or signal.component is None:
        return signal.plan_id, signal.scenario_id
    names = signal.component.names
    versions = PlanVersion.objects.filter(is_active=True).order_by("plan_id")
    if signal.plan_id:
        versions = versions.filter(plan_id=signal.plan_id)
    for version in versions:
        scenario = next((s for s in version.content.scenarios if names & set(s.components)), None)
        if scenario:
            return version.plan_id, scenario.id
    return signal.plan_id, ""


def _settle(group: AlertGroup, signal: Signal):
    """Resolved alerts arrived: once nothing live is left, the incident hears the source resolved."""
    if group.state != AlertGroup.State.FIRING:
        return
    if group.alerts.filter(status=Alert.Status.FIRING, silence=None, in_maintenance=False).exists():
        return
    # Only the request that flips the state writes the timeline entry.
    if not AlertGroup.objects.filter(pk=group.pk, state=AlertGroup.State.FIRING).update(
            state=AlertGroup.State.RESOLVED):
        return
    group.state = AlertGroup.State.RESOLVED
    if _is_open(group.incident):
        _note(group.incident, gettext_lazy("Source resolved: every alert of this group has resolved; "
                                           "the commander decides whether the incident is over."), signal)


def _note(incident: Incident, message, signal: Signal, **names):
    """A timeline entry in the plan's language; `message` may name %(summary)s, %(origin)s and `names`."""
    origin = signal.origin or signal.source
    with wording.in_plan_language(incident):
        text = str(message) % {"summary": signal.summary, "origin": origin, **names}
        timeline.record(incident, TimelineEntry.Kind.ALERT, text, origin, source=signal.source,
                        fingerprint=signal.fingerprint)


def source_resolved(incident: Incident) -> bool:
    """Every alert group feeding the incident has resolved (the incident page shows it)."""
    states = set(incident.alert_groups.values_list("state", flat=True))
    return bool(states) and states == {AlertGroup.State.RESOLVED}

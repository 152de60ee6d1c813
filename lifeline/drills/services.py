"""Planning, running and closing drills. Plain functions, no HTTP; time from lifeline.core.clock.

Bad input raises Refused naming the field before anything changes. A drill runs as a
drill-mode incident (is_drill: marked 演练 on its pages and messages, left out of statistics);
its milestones are read from that incident's events where it has them (first checklist step
done, acknowledged, the emergency step done or mitigated, resolved) and otherwise recorded by
a button. A fault injection row is written before the fault is made, so the worker's undo
(undo_due) always knows what to undo, across restarts.

A downtime drill names emergency workstations: starting it declares them in drill mode (the
cashiers practise on real base data, every event marked 演练 and never merged), ending it puts
those still in drill mode back to ready. A station in a real downtime is never taken for a drill.
"""
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.accounts.permissions import can_sign_off_drills
from lifeline.core import alarms, clock
from lifeline.core.errors import Refused
from lifeline.drills import defaults, faults
from lifeline.drills.models import Drill, FaultInjection, Finding, Milestone, MilestoneRecord
from lifeline.incidents.lifecycle import open_incident
from lifeline.plans.models import PlanVersion
from lifeline.stations import registry
from lifeline.stations.models import Station

log = logging.getLogger("lifeline.drills")
TARGET_FIELDS = [f"target_{m}" for m in Milestone.values]
# A failed undo is tried again this much later (the fault must not outlive the drill quietly).
UNDO_RETRY = timedelta(minutes=1)
REMINDER_SOURCE = "drills:reminder"


def scenario_of(plan_id: str, scenario_id: str):
    """The active plan's content and the scenario, or a refusal naming plan_id / scenario_id."""
    version = PlanVersion.objects.filter(plan_id=plan_id, is_active=True).first()
    if version is None:
        raise Refused("plan_id", _("no active plan %(plan)s") % {"plan": plan_id})
    plan = version.content
    scenario = next((s for s in plan.scenarios if s.id == scenario_id), None)
    if scenario is None:
        raise Refused("scenario_id", _("plan %(plan)s has no scenario %(id)s") % {"plan": plan.name, "id": scenario_id})
    return plan, scenario


def scenario_name(plan_id: str, scenario_id: str) -> str:
    """"plan · scenario" in the plan's words; the ids while the plan is not loaded."""
    try:
        plan, scenario = scenario_of(plan_id, scenario_id)
    except Refused:
        return f"{plan_id} · {scenario_id}"
    return f"{plan.name} · {scenario.name}"


def plan_drill(*, plan_id, scenario_id, planned_at, title="", participants="", observers="", length_minutes=60,
               fault_target="", schedule=None, stations=(), **targets) -> Drill:
    """A planned drill; targets left out (or None) default from the scenario (defaults.py).
    `stations`: the workstations (or their ids) put in drill mode while it runs."""
    plan, scenario = scenario_of(plan_id, scenario_id)
    if fault_target:
        faults.check_target(fault_target)
    stations = _in_service(stations)
    found = defaults.for_scenario(plan, scenario)
    values = {f"target_{m}": targets.get(f"target_{m}", getattr(found, m)) for m in Milestone.values}
    day = timezone.localtime(planned_at).strftime("%Y-%m-%d")
    drill = Drill(title=title.strip() or _("%(scenario)s drill %(day)s") % {"scenario": scenario.name, "day": day},
                  plan_id=plan_id, scenario_id=scenario_id, planned_at=planned_at, participants=participants,
                  observers=observers, length_minutes=length_minutes, fault_target=fault_target,
                  schedule=schedule, **values)
    drill.full_clean()
    with transaction.atomic():
        drill.save()
        drill.stations.set(stations)
    return drill


def _in_service(stations) -> list[Station]:
    ids = {getattr(station, "pk", station) for station in stations}
    found = list(Station.objects.filter(pk__in=ids, revoked_at__isnull=True))
    missing = ids - {station.pk for station in found}
    if missing:
        raise Refused("stations", _("no workstation in service with id %(ids)s")
                      % {"ids": ", ".join(map(str, sorted(missing)))})
    return found


def _declared_by(drill: Drill, user) -> str:
    return _("%(user)s (drill: %(drill)s)") % {"user": user or _("the worker"), "drill": drill.title}


def _require(drill: Drill, *statuses):
    if drill.status not in statuses:
        raise Refused("status", _("the drill is %(status)s") % {"status": drill.get_status_display()}, status=409)


def start(drill: Drill, user=None) -> Drill:
    """Open the drill-mode incident from the scenario and inject the lab fault, if any."""
    with transaction.atomic():
        drill = Drill.objects.select_for_update().get(pk=drill.pk)
        _require(drill, Drill.Status.PLANNED)
        fault = faults.fault_for(drill.fault_target) if drill.fault_target else None
        stations = list(drill.stations.select_for_update())
        _refuse_stations_in_downtime(stations)
        now = clock.now()
        drill.incident = open_incident(plan_id=drill.plan_id, title=drill.title, scenario_id=drill.scenario_id,
                                       is_drill=True, user=user)
        drill.status, drill.started_at = Drill.Status.RUNNING, now
        drill.save(update_fields=["incident", "status", "started_at"])
        if stations:
            registry.declare(Station.Mode.DRILL, by=_declared_by(drill, user), now=now,
                             station_ids=[station.pk for station in stations])
        injection = fault and FaultInjection.objects.create(
            drill=drill, target=drill.fault_target, injected_at=now,
            undo_at=now + timedelta(minutes=drill.length_minutes))
    if injection:
        _inject(injection, fault)
    alarms.raise_alarm(source=REMINDER_SOURCE, fingerprint=f"drill-{drill.pk}", firing=False,
                       summary=_("Drill started: %(drill)s") % {"drill": drill})
    return drill


def _refuse_stations_in_downtime(stations: list[Station]):
    busy = [station.name for station in stations if station.mode == Station.Mode.DOWNTIME]
    if busy:
        raise Refused("stations", _("%(stations)s: in a real downtime, not available for a drill; choose other "
                                    "workstations or wait for the recovery")
                      % {"stations": "、".join(busy)}, status=409)


def _inject(injection: FaultInjection, fault: faults.Fault):
    try:
        outcome = fault.inject()
    except RuntimeError as exc:  # the undo timer stays: a half-made fault is undone all the same
        outcome = _("injection failed: %(error)s") % {"error": exc}
        log.warning("drill %s: %s", injection.drill_id, outcome)
    FaultInjection.objects.filter(pk=injection.pk).update(outcome=outcome)


def end(drill: Drill, user=None) -> Drill:
    """The drill is over: its faults are undone now rather than at their timer."""
    with transaction.atomic():
        drill = Drill.objects.select_for_update().get(pk=drill.pk)
        _require(drill, Drill.Status.RUNNING)
        sync_milestones(drill)
        drill.status, drill.ended_at = Drill.Status.ENDED, clock.now()
        drill.save(update_fields=["status", "ended_at"])
        # Only those still in drill mode: a downtime declared meanwhile stays in force.
        practising = list(drill.stations.filter(mode=Station.Mode.DRILL).values_list("pk", flat=True))
        if practising:
            registry.declare(Station.Mode.READY, by=_declared_by(drill, user), now=drill.ended_at,
                             station_ids=practising)
        FaultInjection.objects.filter(drill=drill, undone_at__isnull=True).update(undo_at=drill.ended_at)
    undo_due(drill.ended_at)
    return drill


def undo_due(now=None) -> int:
    """Undo every fault whose timer has run out; each row is claimed (SKIP LOCKED) by one worker."""
    now, done = now or clock.now(), 0
    while True:
        with transaction.atomic():
            injection = (FaultInjection.objects.select_for_update(skip_locked=True)
                         .filter(undone_at__isnull=True, undo_at__lte=now).order_by("undo_at").first())
            if injection is None:
                return done
            _undo(injection, now)
        done += 1


def _undo(injection: FaultInjection, now):
    try:
        said = faults.fault_for(injection.target).undo()
    except (RuntimeError, Refused) as exc:
        injection.undo_at = now + UNDO_RETRY
        injection.outcome = f"{injection.outcome}\n{_('undo failed, retrying: %(error)s') % {'error': exc}}"
        log.warning("drill %s: undo of %s failed: %s", injection.drill_id, injection.target, exc)
        injection.save(update_fields=["undo_at", "outcome"])
        return
    injection.undone_at, injection.outcome = now, f"{injection.outcome}\n{said}".strip()
    injection.save(update_fields=["undone_at", "outcome"])


# --- milestones --------------------------------------------------------------------------

def seen_in_incident(drill: Drill) -> dict[str, object]:
    """The milestones the drill's incident shows, with when."""
    incident = drill.incident
    if incident is None:
        return {}
    items = list(incident.checklist.order_by("order"))
    first = items[0] if items else None
    plan, scenario = scenario_of(drill.plan_id, drill.scenario_id)
    step = defaults.for_scenario(plan, scenario).emergency_step
    switch = next((i for i in items if i.step_id == step), None)
    seen = {Milestone.DETECT: first and first.done_at, Milestone.ACKNOWLEDGE: incident.acknowledged_at,
            Milestone.EMERGENCY: (switch and switch.done_at) or incident.mitigated_at,
            Milestone.RESTORE: incident.resolved_at}
    return {m: at for m, at in seen.items() if at}


def sync_milestones(drill: Drill) -> list[MilestoneRecord]:
    """Record what the incident shows and is not recorded yet (a button's record stays)."""
    known = set(drill.milestones.values_list("milestone", flat=True))
    for milestone, at in seen_in_incident(drill).items():
        if milestone not in known:
            MilestoneRecord.objects.get_or_create(drill=drill, milestone=milestone,
                                                  defaults={"at": at, "source": MilestoneRecord.Source.INCIDENT})
    return list(drill.milestones.all())


@transaction.atomic
def record_milestone(drill: Drill, milestone: str, user=None) -> MilestoneRecord:
    """A milestone the system cannot see (detected by a person, switched by hand), now."""
    drill = Drill.objects.select_for_update().get(pk=drill.pk)
    if milestone not in Milestone.values:
        raise Refused("milestone", _("choose one of: %(known)s") % {"known": ", ".join(Milestone.values)})
    _require(drill, Drill.Status.RUNNING)
    if drill.milestones.filter(milestone=milestone).exists():
        raise Refused("milestone", _("%(milestone)s is already recorded") % {"milestone": Milestone(milestone).label},
                      status=409)
    return MilestoneRecord.objects.create(drill=drill, milestone=milestone, at=clock.now(),
                                          source=MilestoneRecord.Source.BUTTON,
                                          by=user if getattr(user, "is_authenticated", False) else None)


# --- findings and sign-off ---------------------------------------------------------------

def add_finding(drill: Drill, *, title, owner, deadline, fix="") -> Finding:
    finding = Finding(drill=drill, title=(title or "").strip(), owner=(owner or "").strip(), deadline=deadline,
                      fix=(fix or "").strip())
    finding.full_clean()
    finding.save()
    return finding


def set_finding_status(finding: Finding, status: str) -> Finding:
    if status not in Finding.Status.values:
        raise Refused("status", _("choose one of: %(known)s") % {"known": ", ".join(Finding.Status.values)})
    finding.status = status
    finding.done_at = clock.now() if status == Finding.Status.DONE else None
    finding.save(update_fields=["status", "done_at"])
    return finding


@transaction.atomic
def sign_off(drill: Drill, user, note="") -> Drill:
    """The commander's signature under an ended drill's report (not IT's, who ran it)."""
    can_sign_off_drills.check(user)
    drill = Drill.objects.select_for_update().get(pk=drill.pk)
    _require(drill, Drill.Status.ENDED)
    drill.status, drill.signed_by, drill.signed_at = Drill.Status.SIGNED, user, clock.now()
    drill.sign_off_note = (note or "").strip()
    drill.save(update_fields=["status", "signed_by", "signed_at", "sign_off_note"])
    return drill

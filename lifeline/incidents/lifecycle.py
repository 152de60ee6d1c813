"""The incident's life (事件处置): opening it (from reports or without), triage, its level,
its status, who holds its roles, notes. Plain functions, no HTTP; time from lifeline.core.clock.

Every action writes the incident's timeline. Functions that change several rows are atomic
and lock the incident first (locking.locked); bad input raises Refused before anything
changes. This is the highest action but one: it imports escalation (opening pages, tells the
level's roles and sets the chain; a new level tells its roles; acknowledging sets reminders),
checklist (a scenario started at opening), timers (SLA timers follow the level, stop on
acknowledgement or resolution) and outbox (reporters are told of news), and none of them
imports it. firing.py, above it, calls `set_level` when a timer escalates.
"""
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.accounts.permissions import can_reclassify
from lifeline.core import clock
from lifeline.core.errors import Problem, Refused
from lifeline.incidents.checklist import start_scenario
from lifeline.incidents.escalation import schedule_on_open, schedule_renotify, tell_level
from lifeline.incidents.levels import find_level, set_deadlines, suggest_level
from lifeline.incidents.locking import locked, require_open
from lifeline.incidents.models import (
    NOTE_MAX_CHARS,
    Assignment,
    ChecklistItem,
    Incident,
    Report,
    TimelineEntry,
)
from lifeline.incidents.outbox import tell_reporters
from lifeline.incidents.roles import find_member, holder, lead_role
from lifeline.incidents.timeline import record
from lifeline.incidents.timers import cancel_after, move_sla_timers
from lifeline.incidents.wording import in_plan_language, role_title
from lifeline.people.models import Member
from lifeline.plans.models import PlanVersion

S = Incident.Status
# The moves an incident may make. Acknowledging comes first; closing (after review) is final.
TRANSITIONS = {
    S.REPORTED: {S.ACKNOWLEDGED},
    S.ACKNOWLEDGED: {S.INVESTIGATING, S.MITIGATED, S.RESOLVED},
    S.INVESTIGATING: {S.MITIGATED, S.RESOLVED},
    S.MITIGATED: {S.INVESTIGATING, S.RESOLVED},
    S.RESOLVED: {S.CLOSED},
    S.CLOSED: set(),
}
USERS_PCT_MAX = 100
# The moves that end the work: with steps or duty cards still open they need a confirmation.
NEEDS_CONFIRMATION = {S.RESOLVED, S.CLOSED}
# The changes a reporter is told about (seed 000: the result goes back to whoever reported).
REPORTER_NEWS = {S.ACKNOWLEDGED, S.MITIGATED, S.RESOLVED}
# Incident roles filled from the roster, with the plan role each one looks for.
# The commander is whoever leads the incident's level (see lead_role).
ROSTER_ROLES = {
    Assignment.Kind.DEPUTY: "deputy_commander",
    Assignment.Kind.SCRIBE: "duty_it",
    Assignment.Kind.LIAISON: "comms_lead",
}


# --- opening and triage ------------------------------------------------------------------

def _plan_version(plan_id: str) -> PlanVersion:
    version = PlanVersion.objects.select_related("plan").filter(plan_id=plan_id, is_active=True).first()
    if version is None:
        raise Refused("plan", _("no active plan %(plan)s") % {"plan": plan_id})
    return version


def _check_facts(plan, scenario_id, category_id, scope, users_pct):
    if scenario_id and not any(s.id == scenario_id for s in plan.scenarios):
        raise Refused("scenario", _("unknown scenario %(id)s") % {"id": scenario_id})
    if category_id and not any(c.id == category_id for c in plan.problem_categories):
        raise Refused("category", _("unknown problem category %(id)s") % {"id": category_id})
    if scope and scope not in Incident.Scope.values:
        raise Refused("scope", _("scope must be one of %(known)s") % {"known": ", ".join(Incident.Scope.values)})
    if users_pct is not None:
        check_users_pct(users_pct)


def check_users_pct(value: float):
    """The share of users affected is a percentage: 0 to 100 (NaN and infinity are neither)."""
    if not 0 <= value <= USERS_PCT_MAX:
        raise Refused("users_pct", _("the share of users affected is a percentage from 0 to 100; %(value)s is not")
                      % {"value": f"{value:g}"})


def _open_reports(numbers) -> list[Report]:
    reports = list(Report.objects.select_for_update().filter(number__in=numbers))
    missing = set(numbers) - {r.number for r in reports}
    if missing:
        raise Refused("reports", _("unknown reports: %(numbers)s") % {"numbers": ", ".join(sorted(missing))})
    taken = [r.number for r in reports if r.incident_id]
    if taken:
        raise Refused("reports", _("already attached to an incident: %(numbers)s") % {"numbers": ", ".join(taken)})
    return reports


@transaction.atomic
def open_incident(*, plan_id, title, reports=(), scenario_id="", level_id="", category_id="", scope="",
                  users_pct=None, services=(), is_drill=False, user=None) -> Incident:
    """Open an incident under a plan's active version, from reports or without any.

    Without a level the classification suggests one; failing that the scenario's, the
    problem category's, or the plan's least severe level.
    """
    title = (title or "").strip()
    if not title:
        raise Refused("title", _("give the incident a title"))
    version = _plan_version(plan_id)
    plan = version.content
    _check_facts(plan, scenario_id, category_id, scope, users_pct)
    if level_id:
        find_level(plan, level_id)
    else:
        scenario = next((s for s in plan.scenarios if s.id == scenario_id), None)
        category = next((c for c in plan.problem_categories if c.id == category_id), None)
        least = max(plan.levels, key=lambda lv: lv.rank).id
        level_id = (suggest_level(plan, scope, users_pct, services)[0] or (scenario and scenario.level)
                    or (category and category.level) or least)
    attached = _open_reports(list(reports))
    incident = Incident(title=title, plan_version=version, scenario_id="", level_id=level_id,
                        category_id=category_id, scope=scope, users_pct=users_pct, services=list(services),
                        is_drill=is_drill, opened_by=user if getattr(user, "is_authenticated", False) else None,
                        opened_at=clock.now())
    set_deadlines(incident)
    incident.save()
    with in_plan_language(incident):
        record(incident, TimelineEntry.Kind.OPENED,
               _("Incident opened at level %(level)s") % {"level": incident.level.name}, user,
               level=level_id, drill=is_drill)
        for report in attached:
            _attach(incident, report, user)
        fill_roles(incident, user)
        schedule_on_open(incident)
        if scenario_id:
            incident = start_scenario(incident, scenario_id, user)
    return incident


@transaction.atomic
def attach_report(incident: Incident, number: str, user=None) -> Report:
    """Triage: a report about something already being handled joins its incident."""
    incident = locked(incident)
    require_open(incident)
    report = _open_reports([number])[0]
    with in_plan_language(incident):
        _attach(incident, report, user)
    return report


def _attach(incident, report, user):
    report.incident, report.triaged_at = incident, clock.now()
    report.triaged_by = user if getattr(user, "is_authenticated", False) else None
    report.save(update_fields=["incident", "triaged_at", "triaged_by"])
    record(incident, TimelineEntry.Kind.REPORT,
           _("Report %(number)s from %(department)s: %(text)s")
           % {"number": report.number, "department": report.department, "text": report.description[:200]},
           user, report=report.number)


# --- level -------------------------------------------------------------------------------

@transaction.atomic
def reclassify(incident: Incident, level_id: str, reason: str, user) -> Incident:
    """The commander changes the level, with a reason; the SLA deadlines follow the new level."""
    if not can_reclassify(user):
        raise Refused("user", str(can_reclassify.refusal), status=403)
    if not (reason or "").strip():
        raise Refused("reason", _("say why the level changes"))
    incident = locked(incident)
    require_open(incident)
    if level_id == incident.level_id:
        raise Refused("level", _("the incident is already at this level"))
    return set_level(incident, level_id, reason.strip(), user)


def set_level(incident: Incident, level_id: str, reason: str, actor) -> Incident:
    """Move a locked incident to another level and recompute its deadlines (callers check who may).

    The new level's `notify` roles are told (escalation.tell_level); raised to a more severe
    level, command passes to that level's lead on duty (an assignment change). Lowered, whoever
    commands keeps command.
    """
    new = find_level(incident.plan, level_id)
    old = incident.level
    incident.level_id = level_id
    set_deadlines(incident)
    incident.save(update_fields=["level_id", "respond_by", "resolve_by"])
    move_sla_timers(incident)
    with in_plan_language(incident):
        record(incident, TimelineEntry.Kind.LEVEL,
               _("Level changed from %(old)s to %(new)s: %(reason)s")
               % {"old": old.name if old else "-", "new": new.name, "reason": reason},
               actor, old=old.id if old else "", new=level_id, reason=reason)
        if old is None or old.id != new.id:
            raised = old is None or new.rank < old.rank
            text = (_("Incident raised to %(level)s: %(reason)s") if raised
                    else _("Incident lowered to %(level)s: %(reason)s")) % {"level": new.name, "reason": reason}
            tell_level(incident, text)
            if raised:
                hand_command(incident, actor)
    return incident


def hand_command(incident: Incident, actor=None):
    """Command passes to the lead of the incident's level on duty, unless they hold it already."""
    role = lead_role(incident)
    plan_role = next((r for r in incident.plan.roles if r.id == role), None)
    member = find_member(role, plan_role.skills if plan_role else ())
    if member is None or not member.active:
        record(incident, TimelineEntry.Kind.ROLE, _("Nobody on duty as %(role)s to take command")
               % {"role": role_title(incident, role)}, actor, role=role)
        return
    current = holder(incident, Assignment.Kind.COMMANDER)
    if current is None or current.pk != member.pk:
        assign(incident, Assignment.Kind.COMMANDER, member, actor,
               note=_("lead of %(level)s") % {"level": incident.level.name})


# --- status ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LeftOpen:
    """What resolving or closing an incident would leave behind: its checklist steps still open
    (titles, in checklist order) and the departments of its duty cards nobody has acknowledged."""

    steps: list[str]
    departments: list[str]

    def __bool__(self):
        return bool(self.steps or self.departments)

    def problems(self) -> list[Problem]:
        found = []
        if self.steps:
            found.append(Problem("confirmed", _("checklist steps still open: %(steps)s")
                                 % {"steps": "、".join(self.steps)}))
        if self.departments:
            found.append(Problem("confirmed", _("duty cards not acknowledged by: %(departments)s")
                                 % {"departments": "、".join(self.departments)}))
        return found


def left_open(incident: Incident) -> LeftOpen:
    steps = incident.checklist.filter(status=ChecklistItem.Status.OPEN).order_by("order", "pk")
    cards = incident.duty_cards.filter(acknowledged_at__isnull=True).order_by("activated_at", "pk")
    return LeftOpen(list(steps.values_list("title", flat=True)), list(cards.values_list("department", flat=True)))


@transaction.atomic
def transition(incident: Incident, status: str, user=None, note="", confirmed=False) -> Incident:
    """Move the incident along its lifecycle; refuses a move the lifecycle does not allow.

    Resolving or closing while checklist steps are open or duty cards unacknowledged is refused
    (409, naming each of them) unless `confirmed`; a confirmed move writes what it left open
    on the timeline.
    """
    incident = locked(incident)
    if status not in S.values:
        raise Refused("status", _("unknown status %(status)s") % {"status": status})
    allowed = TRANSITIONS[incident.status]
    if status not in allowed:
        raise Refused("status", _("an incident that is %(now)s cannot become %(new)s; it can become: %(allowed)s")
                      % {"now": S(incident.status).label, "new": S(status).label,
                         "allowed": ", ".join(str(S(s).label) for s in sorted(allowed)) or _("nothing, it is closed")})
    left = left_open(incident) if status in NEEDS_CONFIRMATION else LeftOpen([], [])
    if left and not confirmed:
        ask = Problem("confirmed", _("confirm to mark the incident %(new)s all the same") % {"new": S(status).label})
        raise Refused.of([*left.problems(), ask], status=409)
    now = clock.now()
    old, incident.status = incident.status, status
    setattr(incident, f"{status}_at", now)
    incident.save(update_fields=["status", f"{status}_at"])
    with in_plan_language(incident):
        text = _("Status %(old)s → %(new)s") % {"old": S(old).label, "new": S(status).label}
        record(incident, TimelineEntry.Kind.STATUS, _with_note(text, note), user,
               old=old, new=status, note=note)
        if left:
            record(incident, TimelineEntry.Kind.STATUS, _("Confirmed with these still open: %(what)s")
                   % {"what": "；".join(str(p) for p in left.problems())}, user,
                   left_steps=left.steps, left_cards=left.departments)
        if status in REPORTER_NEWS:
            tell_reporters(incident, note)
        if status == S.ACKNOWLEDGED:
            cancel_after(incident, status, user)
            schedule_renotify(incident, 1)
        elif status == S.RESOLVED:
            cancel_after(incident, status, user)
    return incident


def _with_note(text: str, note: str) -> str:
    """A timeline line with the note given with it, punctuated as its language writes it (：)."""
    return _("%(text)s: %(note)s") % {"text": text, "note": note} if note else text


# --- roles -------------------------------------------------------------------------------

def fill_roles(incident: Incident, user=None):
    """Fill the incident's empty roles from the duty roster; roles nobody holds stay empty."""
    plan_roles = {r.id: r for r in incident.plan.roles}
    wanted = {Assignment.Kind.COMMANDER: lead_role(incident), **ROSTER_ROLES}
    held = set(incident.assignments.filter(ends_at__isnull=True).values_list("role", flat=True))
    for kind, role in wanted.items():
        if kind in held or not role:
            continue
        member = find_member(role, plan_roles[role].skills if role in plan_roles else ())
        if member is not None:
            assign(incident, kind, member, user)


def _known_role(incident: Incident, role: str) -> bool:
    plan = incident.plan
    return (role in Assignment.Kind.values or any(r.id == role for r in plan.roles)
            or any(g.id == role for g in plan.groups))


def assign(incident: Incident, role: str, member: Member, user=None, note="") -> Assignment:
    """Give an incident role to a member; whoever held it hands over (both on the timeline)."""
    if not _known_role(incident, role):
        raise Refused("role", _("unknown role %(role)s: use commander, deputy, scribe, liaison or a role "
                                "or group of the plan") % {"role": role})
    if not member.active:
        raise Refused("member", _("%(member)s is not an active member") % {"member": member})
    with transaction.atomic():
        incident = locked(incident)
        require_open(incident)
        now = clock.now()
        current = incident.assignments.filter(role=role, ends_at__isnull=True).select_related("member").first()
        if current and current.member_id == member.pk:
            raise Refused("member", _("%(member)s already holds this role") % {"member": member})
        if current:
            current.ends_at = now
            current.save(update_fields=["ends_at"])
        assignment = Assignment.objects.create(incident=incident, role=role, member=member, starts_at=now)
        with in_plan_language(incident):
            title = dict(Assignment.Kind.choices).get(role) or role_title(incident, role)  # 记录员, not scribe
            if current:
                text = _("%(role)s handed over from %(old)s to %(new)s") % {
                    "role": title, "old": current.member, "new": member}
            else:
                text = _("%(member)s is %(role)s") % {"role": title, "member": member}
            record(incident, TimelineEntry.Kind.ROLE, _with_note(text, note), user,
                   role=role, member=member.pk, previous=current.member_id if current else None)
    return assignment


# --- notes -------------------------------------------------------------------------------

@transaction.atomic
def add_note(incident: Incident, text: str, user) -> TimelineEntry:
    text = (text or "").strip()
    if not text:
        raise Refused("text", _("the note is empty"))
    if len(text) > NOTE_MAX_CHARS:
        raise Refused("text", _("a note holds at most %(max)d characters; this one has %(n)d")
                      % {"max": NOTE_MAX_CHARS, "n": len(text)})
    incident = locked(incident)
    if incident.status == S.CLOSED:
        raise Refused("status", _("the incident is closed"))
    return record(incident, TimelineEntry.Kind.NOTE, text, user)

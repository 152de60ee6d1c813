"""Running an incident by its plan: intake, triage, classification, lifecycle, roles and notes
(the scenario's checklist and decision tree are in scenarios.py, duty cards in cards.py).
Plain functions, no HTTP; time from lifeline.core.clock.

Every action writes the incident's timeline. Functions that change several rows are atomic;
bad input raises Refused (or Django's ValidationError for a report) before anything changes.
Timers, escalation and the outbox live in timers.py.
"""
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lifeline.accounts.roles import Role, has_role
from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.incidents import scenarios, timers
from lifeline.incidents.models import (
    NOTE_MAX_CHARS,
    Assignment,
    Incident,
    Report,
    TimelineEntry,
)
from lifeline.people import services as people
from lifeline.people.models import DutyKind, Member
from lifeline.plans import schema
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
# The changes a reporter is told about (seed 000: the result goes back to whoever reported).
REPORTER_NEWS = {S.ACKNOWLEDGED, S.MITIGATED, S.RESOLVED}
# Incident roles filled from the roster, with the plan role each one looks for.
# The commander is whoever leads the incident's level (see lead_role).
ROSTER_ROLES = {
    Assignment.Kind.DEPUTY: "deputy_commander",
    Assignment.Kind.SCRIBE: "duty_it",
    Assignment.Kind.LIAISON: "comms_lead",
}


# --- timeline ----------------------------------------------------------------------------

def record(incident, kind, text, actor=None, **data) -> TimelineEntry:
    """Append to the timeline; `actor` is a user, or a name such as a worker's."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return TimelineEntry.objects.create(
        incident=incident, at=clock.now(), kind=kind, text=text, actor=user,
        actor_name="" if user else str(actor or "system"), data=data)


def role_title(incident, role: str | None) -> str:
    """A plan role or group id (or several, comma-separated) as the plan names it."""
    plan = incident.plan
    titles = {r.id: r.title for r in plan.roles} | {g.id: g.name for g in plan.groups}
    return "、".join(titles.get(r, r) for r in role.split(",")) if role else "-"


def in_plan_language(incident):
    """Timeline and messages are written once, in the language of the plan the incident follows."""
    return translation.override(incident.plan.language or settings.LANGUAGE_CODE)


# --- intake ------------------------------------------------------------------------------

def submit_report(*, department, description, contact, people_affected=1, workstation="",
                  source=Report.Source.PAGE, reporter=None) -> Report:
    """Store a fault report with its number; raises ValidationError naming each bad field."""
    report = Report(department=(department or "").strip(), description=(description or "").strip(),
                    contact=(contact or "").strip(), people_affected=people_affected,
                    workstation=(workstation or "").strip(), source=source,
                    reporter=reporter if getattr(reporter, "is_authenticated", False) else None,
                    created_at=clock.now())
    report.full_clean(exclude=["number"], validate_unique=False)
    for attempt in range(5):
        report.number = _next_number(report.created_at)
        try:
            with transaction.atomic():
                report.save()
            return report
        except IntegrityError:
            # Someone took the number in the meantime: take the next one.
            report.pk = None
    raise RuntimeError("could not number the report")


def _next_number(at) -> str:
    """BG-<local date>-<sequence of the day>, e.g. BG-20261122-0007."""
    prefix = f"BG-{timezone.localtime(at):%Y%m%d}-"
    last = (Report.objects.filter(number__startswith=prefix)
            .order_by(Length("number").desc(), "-number").values_list("number", flat=True).first())
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


# --- classification ----------------------------------------------------------------------

@dataclass
class Classification:
    level: str | None  # the suggested level id
    matched: list[str] = field(default_factory=list)  # why: the criteria that matched
    reports: int = 0
    departments: list[str] = field(default_factory=list)


def level_matches(level: schema.Level, scope: str, users_pct: float | None, services) -> list[str]:
    """The criteria of `level` that the facts meet; empty if the level does not fit.

    Losing one of the level's services is enough by itself (schema: "the services whose loss
    puts an incident at this level"). Otherwise scope and share of users must both fit where
    both the level and the incident say something about them, and at least one must.
    """
    criteria = level.criteria
    lost = sorted(set(services or ()) & set(criteria.services))
    if lost:
        return [f"services: {', '.join(lost)}"]
    checks = []
    if criteria.scope and scope:
        checks.append((f"scope: {scope}", scope in {s.value for s in criteria.scope}))
    if criteria.users_pct is not None and users_pct is not None:
        checks.append((f"users_pct: {users_pct:g}", criteria.users_pct.contains(users_pct)))
    if checks and all(ok for _label, ok in checks):
        return [label for label, _ok in checks]
    return []


def suggest_level(plan: schema.Plan, scope="", users_pct=None, services=()) -> tuple[str | None, list[str]]:
    """The most severe level whose criteria the facts meet, with the reasons; (None, []) if none."""
    for level in sorted(plan.levels, key=lambda lv: lv.rank):
        matched = level_matches(level, scope, users_pct, services)
        if matched:
            return level.id, matched
    return None, []


def classify(incident: Incident) -> Classification:
    """Suggested level from the incident's scope, share of users and services; reports and departments."""
    level, matched = suggest_level(incident.plan, incident.scope, incident.users_pct, incident.services)
    departments = sorted(set(incident.reports.values_list("department", flat=True)))
    return Classification(level, matched, incident.reports.count(), departments)


def _level(plan: schema.Plan, level_id: str, field_name="level") -> schema.Level:
    level = next((lv for lv in plan.levels if lv.id == level_id), None)
    if level is None:
        raise Refused(field_name, _("unknown level %(level)s; this plan has %(known)s")
                      % {"level": level_id, "known": ", ".join(lv.id for lv in plan.levels)})
    return level


def _sla(incident: Incident) -> schema.Sla:
    category = next((c for c in incident.plan.problem_categories if c.id == incident.category_id), None)
    return category.sla if category and category.sla else incident.level.sla


def _set_deadlines(incident: Incident):
    sla = _sla(incident)
    incident.respond_by = schema.deadline_after(incident.opened_at, sla.respond)
    incident.resolve_by = schema.deadline_after(incident.opened_at, sla.resolve) if sla.resolve else None


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
    if users_pct is not None and not 0 <= users_pct <= 100:
        raise Refused("users_pct", _("the share of users affected is a percentage from 0 to 100"))


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
        _level(plan, level_id)
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
    _set_deadlines(incident)
    incident.save()
    with in_plan_language(incident):
        record(incident, TimelineEntry.Kind.OPENED,
               _("Incident opened at level %(level)s") % {"level": incident.level.name}, user,
               level=level_id, drill=is_drill)
        for report in attached:
            _attach(incident, report, user)
        fill_roles(incident, user)
        timers.schedule_on_open(incident)
        if scenario_id:
            incident = scenarios.start_scenario(incident, scenario_id, user)
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


def locked(incident: Incident) -> Incident:
    """The incident's row, locked until the transaction ends, as it is now in the database."""
    return Incident.objects.select_for_update().select_related("plan_version").get(pk=incident.pk)


def require_open(incident: Incident):
    if not incident.is_open:
        raise Refused("status", _("the incident is %(status)s; nothing more can be done to it")
                      % {"status": incident.get_status_display()})


# --- level -------------------------------------------------------------------------------

@transaction.atomic
def reclassify(incident: Incident, level_id: str, reason: str, user) -> Incident:
    """The commander changes the level, with a reason; the SLA deadlines follow the new level."""
    if not has_role(user, Role.COMMANDER):
        raise Refused("user", _("only a commander changes an incident's level"))
    if not (reason or "").strip():
        raise Refused("reason", _("say why the level changes"))
    incident = locked(incident)
    require_open(incident)
    if level_id == incident.level_id:
        raise Refused("level", _("the incident is already at this level"))
    return set_level(incident, level_id, reason.strip(), user)


def set_level(incident: Incident, level_id: str, reason: str, actor) -> Incident:
    """Move a locked incident to another level and recompute its deadlines (callers check who may)."""
    _level(incident.plan, level_id)
    old = incident.level
    incident.level_id = level_id
    _set_deadlines(incident)
    incident.save(update_fields=["level_id", "respond_by", "resolve_by"])
    timers.move_sla_timers(incident)
    with in_plan_language(incident):
        record(incident, TimelineEntry.Kind.LEVEL,
               _("Level changed from %(old)s to %(new)s: %(reason)s")
               % {"old": old.name if old else "-", "new": incident.level.name, "reason": reason},
               actor, old=old.id if old else "", new=level_id, reason=reason)
    return incident


# --- lifecycle ---------------------------------------------------------------------------

@transaction.atomic
def transition(incident: Incident, status: str, user=None, note="") -> Incident:
    """Move the incident along its lifecycle; refuses a move the lifecycle does not allow."""
    incident = locked(incident)
    if status not in S.values:
        raise Refused("status", _("unknown status %(status)s") % {"status": status})
    allowed = TRANSITIONS[incident.status]
    if status not in allowed:
        raise Refused("status", _("an incident that is %(now)s cannot become %(new)s; it can become: %(allowed)s")
                      % {"now": S(incident.status).label, "new": S(status).label,
                         "allowed": ", ".join(str(S(s).label) for s in sorted(allowed)) or _("nothing, it is closed")})
    now = clock.now()
    old, incident.status = incident.status, status
    setattr(incident, f"{status}_at", now)
    incident.save(update_fields=["status", f"{status}_at"])
    with in_plan_language(incident):
        text = _("Status %(old)s → %(new)s") % {"old": S(old).label, "new": S(status).label}
        record(incident, TimelineEntry.Kind.STATUS, f"{text}: {note}" if note else text, user,
               old=old, new=status, note=note)
        if status in REPORTER_NEWS:
            timers.tell_reporters(incident, note)
        if status == S.ACKNOWLEDGED:
            timers.cancel_after(incident, status, user)
            timers.schedule_renotify(incident, 1)
        elif status == S.RESOLVED:
            timers.cancel_after(incident, status, user)
    return incident


# --- roles -------------------------------------------------------------------------------

def lead_role(incident: Incident) -> str | None:
    """The plan role that leads the incident: its level's lead, else the command group's lead."""
    if incident.level and incident.level.lead:
        return incident.level.lead
    return next((g.lead for g in incident.plan.groups if g.kind == "command" and g.lead), None)


def find_member(role: str | None, skills=()) -> Member | None:
    """Who takes a plan role now: its primary on duty, its backup, else the fastest with its skills."""
    if not role:
        return None
    at = clock.now()
    member = people.on_duty(role, at) or people.on_duty(role, at, DutyKind.BACKUP)
    if member is None and skills:
        ranked = people.fastest(skill=skills[0], at=at)
        member = ranked[0][0] if ranked else None
    return member


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
            if current:
                text = _("%(role)s handed over from %(old)s to %(new)s") % {
                    "role": role, "old": current.member, "new": member}
            else:
                text = _("%(member)s is %(role)s") % {"role": role, "member": member}
            record(incident, TimelineEntry.Kind.ROLE, f"{text}: {note}" if note else text, user,
                   role=role, member=member.pk, previous=current.member_id if current else None)
    return assignment


def holder(incident: Incident, role: str) -> Member | None:
    found = incident.assignments.filter(role=role, ends_at__isnull=True).select_related("member").first()
    return found.member if found else None


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

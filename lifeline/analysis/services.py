"""The fault analysis of an incident and its follow-ups: plain functions, no HTTP.

`build(incident)` gathers one structure (summary, timeline, impact, cause, actions, what
went well and badly, follow-ups) that the page, the API and both printed formats read,
so they say the same things. Words are in the interface language (gettext, at build time).
Bad input raises Refused naming the field, before anything is stored.
"""
import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lifeline.analysis import sections as extra_sections
from lifeline.analysis.models import FaultAnalysis, FollowUp
from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.incidents.models import DRILL_MARK, ChecklistItem, Incident, Timer
from lifeline.people.models import Member
from lifeline.plans.printing import LABELS, say_duration

# Timers whose firing means something was late: said under "what went badly".
LATE_TIMERS = {Timer.Kind.SLA_RESPOND, Timer.Kind.SLA_RESOLVE, Timer.Kind.ACK_ESCALATION}


def today() -> datetime.date:
    return timezone.localdate(clock.now())


# --- figures -------------------------------------------------------------------------------

def within(done_at, deadline, now=None) -> bool | None:
    """Done by the deadline? None while it cannot be said: no deadline, or not done and not yet due."""
    if deadline is None:
        return None
    if done_at is not None:
        return done_at <= deadline
    return False if (now or clock.now()) > deadline else None


def say_delta(delta: datetime.timedelta | None) -> str:
    """A length of time in the interface language, with the binder's units: "1 天 2 小时 5 分钟"."""
    if delta is None:
        return "—"
    language = _language()
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return say_duration(f"{max(seconds, 0)}s", language)
    days, rest = divmod(seconds, 86400)
    parts = [(days, "d"), (rest // 3600, "h"), (rest % 3600 // 60, "min")]
    return " ".join(say_duration(f"{n}{unit}", language) for n, unit in parts if n)


def _language() -> str:
    """The binder's word set (printing.LABELS) for the interface language."""
    return "en" if (translation.get_language() or "").startswith("en") else "zh-hans"


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


@dataclass
class Figures:
    """The incident's measurable impact; None where it cannot be said (yet)."""

    opened_at: datetime.datetime
    acknowledged_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    respond_by: datetime.datetime | None
    resolve_by: datetime.datetime | None
    reports: int
    people_affected: int
    departments: list[str]
    duration: datetime.timedelta | None  # opened → resolved
    time_to_acknowledge: datetime.timedelta | None
    time_to_resolve: datetime.timedelta | None
    acknowledged_in_time: bool | None
    resolved_in_time: bool | None


def figures(incident: Incident) -> Figures:
    reports = list(incident.reports.all())
    return Figures(
        opened_at=incident.opened_at, acknowledged_at=incident.acknowledged_at, resolved_at=incident.resolved_at,
        respond_by=incident.respond_by, resolve_by=incident.resolve_by, reports=len(reports),
        people_affected=sum(r.people_affected for r in reports),
        departments=sorted({r.department for r in reports}),
        duration=incident.time_to_resolve, time_to_acknowledge=incident.time_to_acknowledge,
        time_to_resolve=incident.time_to_resolve,
        acknowledged_in_time=within(incident.acknowledged_at, incident.respond_by),
        resolved_in_time=within(incident.resolved_at, incident.resolve_by))


# --- the analysis ----------------------------------------------------------------------------

def suggest(incident: Incident) -> dict[str, str]:
    """What can be written from the record alone, for people to correct and complete."""
    facts = figures(incident)
    items = list(incident.checklist.all())
    well, badly = [], []
    for in_time, took, met, missed, never in (
            (facts.acknowledged_in_time, facts.time_to_acknowledge,
             _("Acknowledged within the response deadline (%(time)s)."),
             _("Response deadline missed: acknowledged after %(time)s."),
             _("Response deadline missed: not acknowledged.")),
            (facts.resolved_in_time, facts.time_to_resolve,
             _("Resolved within the resolution deadline (%(time)s)."),
             _("Resolution deadline missed: resolved after %(time)s."),
             _("Resolution deadline missed: not resolved yet."))):
        if in_time:
            well.append(met % {"time": say_delta(took)})
        elif in_time is False:
            badly.append(missed % {"time": say_delta(took)} if took is not None else never)
    done = [i for i in items if i.status == ChecklistItem.Status.DONE]
    if items:
        well.append(_("Checklist steps done: %(done)d of %(all)d.") % {"done": len(done), "all": len(items)})
    badly += [_("Step skipped: %(title)s (%(reason)s)") % {"title": i.title, "reason": i.reason}
              for i in items if i.status == ChecklistItem.Status.SKIPPED]
    badly += [_("Step never done: %(title)s") % {"title": i.title}
              for i in items if i.status == ChecklistItem.Status.OPEN]
    badly += [_("Timer fired: %(text)s") % {"text": t.text}
              for t in incident.timers.filter(status=Timer.Status.FIRED, kind__in=LATE_TIMERS)]
    badly += [_("Duty card never acknowledged: %(department)s") % {"department": c.department}
              for c in incident.duty_cards.filter(acknowledged_at__isnull=True)]
    cause = "\n".join(f"{a.question} → {a.answer}" for a in incident.tree_answers.all())
    return {"cause": cause, "went_well": "\n".join(well), "went_badly": "\n".join(badly),
            "lessons": "", "plan_changes": ""}


def analysis_of(incident: Incident) -> FaultAnalysis:
    """The stored analysis, or a new unsaved one prefilled from the record."""
    found = FaultAnalysis.objects.filter(incident=incident).first()
    return found or FaultAnalysis(incident=incident, **suggest(incident))


@transaction.atomic
def save_analysis(incident: Incident, user=None, **texts) -> FaultAnalysis:
    """Write the analysis (created on first save, prefilled); only once the incident is resolved."""
    unknown = set(texts) - set(FaultAnalysis.TEXT_FIELDS)
    if unknown:
        raise Refused(sorted(unknown)[0], _("not a field of the analysis"))
    # Locking the incident makes two first saves of its analysis wait for each other, not collide.
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.is_open:
        raise Refused("incident", _("the incident is still %(status)s; analyse it once it is resolved")
                      % {"status": incident.get_status_display()})
    analysis = analysis_of(incident)
    for name, value in texts.items():
        setattr(analysis, name, (value or "").strip())
    analysis.updated_at = clock.now()
    analysis.updated_by = user if getattr(user, "is_authenticated", False) else None
    _clean(analysis)
    analysis.save()
    return analysis


def _clean(obj):
    """Model validation as a Refused naming the first bad field."""
    try:
        obj.full_clean(validate_unique=False)
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise Refused(name, " ".join(messages)) from exc


# --- follow-ups ------------------------------------------------------------------------------

def parse_date(value, field_name="due_on") -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        raise Refused(field_name, _("%(value)r is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01")
                      % {"value": value}) from None


# A due date further ahead than this is a typing slip (20310, 2126), not a plan.
FOLLOW_UP_HORIZON_YEARS = 5


def due_date_range(incident: Incident) -> tuple[datetime.date, datetime.date]:
    """The due dates a follow-up of the incident may take: from the day the incident opened (a
    task written up afterwards may already be due, but not before the incident existed) to
    FOLLOW_UP_HORIZON_YEARS from today."""
    now = today()
    try:
        latest = now.replace(year=now.year + FOLLOW_UP_HORIZON_YEARS)
    except ValueError:  # 29 February
        latest = now.replace(year=now.year + FOLLOW_UP_HORIZON_YEARS, day=28)
    return timezone.localdate(incident.opened_at), latest


def _check_due(incident: Incident, due: datetime.date):
    earliest, latest = due_date_range(incident)
    if due < earliest:
        raise Refused("due_on", _("%(due)s is before the incident opened (%(earliest)s); give that day or a later one")
                      % {"due": due.isoformat(), "earliest": earliest.isoformat()})
    if due > latest:
        raise Refused("due_on", _("%(due)s is more than %(years)s years ahead; give a date no later than %(latest)s")
                      % {"due": due.isoformat(), "years": FOLLOW_UP_HORIZON_YEARS, "latest": latest.isoformat()})


@transaction.atomic
def add_follow_up(incident: Incident, *, title, due_on, owner_id=None, vendor="", user=None) -> FollowUp:
    """A task the incident leaves behind; it needs a title, a due date and an owner (member or vendor)."""
    title, vendor = (title or "").strip(), (vendor or "").strip()
    if not title:
        raise Refused("title", _("say what is to be done"))
    due = parse_date(due_on)
    _check_due(incident, due)
    owner = None
    if owner_id not in (None, ""):
        owner = Member.objects.filter(pk=owner_id, active=True).first() if str(owner_id).isdigit() else None
        if owner is None:
            raise Refused("owner", _("no active member %(id)s") % {"id": owner_id})
    if owner is None and not vendor:
        raise Refused("owner", _("name who does it: a member or a vendor"))
    follow_up = FollowUp(incident=incident, title=title, due_on=due, owner=owner, vendor=vendor,
                         created_at=clock.now(), created_by=user if getattr(user, "is_authenticated", False) else None)
    _clean(follow_up)
    follow_up.save()
    return follow_up


@transaction.atomic
def mark_done(follow_up: FollowUp, user=None, result="") -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.is_done:
        raise Refused("follow_up", _("already done on %(at)s") % {"at": local(follow_up.done_at)})
    follow_up.done_at, follow_up.result = clock.now(), (result or "").strip()
    follow_up.done_by = user if getattr(user, "is_authenticated", False) else None
    _clean(follow_up)
    follow_up.save(update_fields=["done_at", "done_by", "result"])
    return follow_up


def open_follow_ups():
    return FollowUp.objects.open().select_related("owner", "incident")


# --- the report's structure ------------------------------------------------------------------

def labels() -> dict[str, str]:
    """Headings and labels of the printed report, in the active language."""
    return {
        "document": _("Fault analysis report"), "printed": _("Printed"),
        # The translation owns the colon (：in Chinese).
        "pair": _("%(label)s: %(value)s"),
        "summary": _("Summary"), "timeline": _("Timeline"), "impact": _("Impact"), "cause": _("Cause"),
        "actions": _("Actions taken"), "went_well": _("What went well"), "went_badly": _("What went badly"),
        "lessons": _("Lessons"), "plan_changes": _("Changes to the plan's procedure"),
        "follow_ups": _("Follow-up actions"),
        "incident": _("Incident"), "plan": _("Plan"), "scenario": _("Scenario"), "level": _("Level"),
        "status": _("Status"), "drill": _("Drill"), "yes": _("yes"), "no": _("no"),
        "opened": _("Opened"), "acknowledged": _("Acknowledged"), "resolved": _("Resolved"),
        "departments": _("Departments affected"), "duration": _("Duration (opened to resolved)"),
        "reports": _("Reports"), "people_affected": _("People affected (as reported)"),
        "time_to_acknowledge": _("Time to acknowledge"), "time_to_resolve": _("Time to resolve"),
        "respond_by": _("Respond by"), "resolve_by": _("Resolve by"),
        "met": _("met"), "missed": _("missed"), "no_deadline": _("no deadline"), "pending": _("not yet known"),
        "at": _("Time"), "kind": _("Kind"), "what": _("What happened"), "by": _("By"),
        "checklist": _("Checklist"), "step": _("Step"), "reason": _("Reason"), "timers": _("Timers fired"),
        "decisions": _("Decisions"), "duty_cards": _("Duty cards"), "department": _("Department"),
        "activated": _("Activated"), "owner": _("Owner"), "due": _("Due"), "done": _("Done"),
        "open": _("open"), "none": _("none"), "not_written": _("Not written yet."),
    }


@dataclass
class Analysis:
    """Everything the fault analysis report says, prepared once for every format."""

    incident: Incident
    analysis: FaultAnalysis
    t: dict
    title: str
    printed: str  # "Printed: 2026-11-22 10:00"
    figures: Figures
    summary: list[tuple[str, str]]
    impact: list[tuple[str, str]]
    timeline: list[dict] = field(default_factory=list)
    checklist: list[dict] = field(default_factory=list)
    decisions: list[tuple[str, str]] = field(default_factory=list)
    timers: list[dict] = field(default_factory=list)
    duty_cards: list[dict] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (heading, text) printed after the actions
    follow_ups: list[dict] = field(default_factory=list)
    sections: list[extra_sections.Section] = field(default_factory=list)  # other apps' (analysis.sections)

    @property
    def cause(self) -> str:
        return self.analysis.cause


def _deadline(t, done_in_time, deadline) -> str:
    verdict = {True: t["met"], False: t["missed"], None: t["pending"]}[done_in_time]
    return f"{local(deadline)} · {verdict}" if deadline else t["no_deadline"]


def build(incident: Incident) -> Analysis:
    """The fault analysis report of an incident, from its record and its (stored or suggested) analysis."""
    incident = Incident.objects.select_related("plan_version").get(pk=incident.pk)
    t, facts, analysis = labels(), figures(incident), analysis_of(incident)
    level, scenario = incident.level, incident.scenario
    summary = [
        (t["incident"], f"#{incident.pk} {incident.title}"),
        (t["plan"], f"{incident.plan.name} (v{incident.plan_version.number})"),
        (t["scenario"], scenario.name if scenario else t["none"]),
        (t["level"], level.name if level else incident.level_id),
        (t["status"], incident.get_status_display()),
        (t["drill"], t["yes"] if incident.is_drill else t["no"]),
        (t["opened"], local(incident.opened_at)),
        (t["acknowledged"], local(incident.acknowledged_at)),
        (t["resolved"], local(incident.resolved_at)),
    ]
    impact = [
        (t["departments"], LABELS[_language()]["list_sep"].join(facts.departments) or t["none"]),
        (t["reports"], str(facts.reports)),
        (t["people_affected"], str(facts.people_affected)),
        (t["duration"], say_delta(facts.duration)),
        (t["time_to_acknowledge"], say_delta(facts.time_to_acknowledge)),
        (t["respond_by"], _deadline(t, facts.acknowledged_in_time, facts.respond_by)),
        (t["time_to_resolve"], say_delta(facts.time_to_resolve)),
        (t["resolve_by"], _deadline(t, facts.resolved_in_time, facts.resolve_by)),
    ]
    return Analysis(
        incident=incident, analysis=analysis, t=t, figures=facts, summary=summary, impact=impact,
        title=f"{DRILL_MARK if incident.is_drill else ''}{incident.title}",
        printed=t["pair"] % {"label": t["printed"], "value": local(clock.now())},
        timeline=[{"at": local(e.at), "kind": e.get_kind_display(), "text": e.text,
                   "by": e.actor.get_username() if e.actor_id else e.actor_name}
                  for e in incident.timeline.select_related("actor")],
        checklist=[{"title": i.title, "status": i.get_status_display(), "reason": i.reason,
                    "at": local(i.done_at) if i.done_at else "", "by": i.done_by.get_username() if i.done_by_id else ""}
                   for i in incident.checklist.select_related("done_by")],
        decisions=[(a.question, a.answer) for a in incident.tree_answers.all()],
        timers=[{"at": local(tm.fired_at), "kind": tm.get_kind_display(), "text": tm.text}
                for tm in incident.timers.filter(status=Timer.Status.FIRED).order_by("fired_at", "pk")],
        duty_cards=[{"department": c.department, "activated": local(c.activated_at),
                     "acknowledged": local(c.acknowledged_at)} for c in incident.duty_cards.all()],
        texts=[(t[name], getattr(analysis, name)) for name in ("went_well", "went_badly", "lessons", "plan_changes")],
        follow_ups=[{"title": f.title, "owner": f.owner_name, "due": f.due_on.isoformat(),
                     "done": local(f.done_at) if f.done_at else t["open"], "result": f.result}
                    for f in incident.follow_ups.select_related("owner")],
        sections=extra_sections.of(incident),
    )

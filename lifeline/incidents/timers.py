"""Durable timers (计时): setting them (the plan's scenario timers, the SLA deadlines, the
reminders people set) and stopping them. What happens when one goes off is firing.py; the
escalation chain's timers are set by escalation.py.

Every timer is a row, set once: setting the same (kind, key) again returns the one already
there, so opening, re-leveling or restarting never doubles a timer. A closed incident takes
no timers.

Lock order, to stay free of deadlocks: a person's action locks the incident, then touches
pending timers only with SKIP LOCKED (a timer a worker holds is re-checked by that worker
once it has the incident; see firing.py). Imports only leaves (models, locking, timeline,
wording).
"""
from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.incidents.levels import responds_immediately
from lifeline.incidents.locking import locked
from lifeline.incidents.models import Incident, TimelineEntry, Timer
from lifeline.incidents.timeline import record
from lifeline.incidents.wording import in_plan_language
from lifeline.plans import schema

K = Timer.Kind


def schedule(incident: Incident, kind: str, key: str, due_at, action: dict,
             unless: str = Timer.Unless.RESOLVED) -> Timer:
    """Set a timer once: setting the same (kind, key) again returns the one already there."""
    if not incident.is_open:
        raise Refused("incident", _("the incident is %(status)s: it takes no more timers")
                      % {"status": incident.get_status_display()})
    timer, _created = Timer.objects.get_or_create(
        incident=incident, kind=kind, key=key,
        defaults={"due_at": due_at, "action": action, "unless": unless})
    return timer


def schedule_sla(incident: Incident):
    """Timers for the SLA deadlines (once each; a deadline already fired or cancelled stays so)."""
    # An immediate response deadline is the escalation's paging timeout; it needs no timer of its own.
    if not incident.acknowledged_at and incident.respond_by and not responds_immediately(incident):
        schedule(incident, K.SLA_RESPOND, "respond", incident.respond_by,
                 {"kind": "sla", "text": _("Response deadline passed")}, unless=Timer.Unless.ACKNOWLEDGED)
    if incident.resolve_by:
        schedule(incident, K.SLA_RESOLVE, "resolve", incident.resolve_by,
                 {"kind": "sla", "text": _("Resolution deadline passed")})


def move_sla_timers(incident: Incident):
    """After a level change the pending SLA timers move to the new deadlines."""
    pending = Timer.objects.select_for_update(skip_locked=True).filter(
        incident=incident, kind__in=[K.SLA_RESPOND, K.SLA_RESOLVE], status=Timer.Status.PENDING)
    for timer in pending:
        due = incident.respond_by if timer.kind == K.SLA_RESPOND else incident.resolve_by
        if due is None or (timer.kind == K.SLA_RESPOND and responds_immediately(incident)):
            end(timer, Timer.Status.CANCELLED, "level changed")
        else:
            timer.due_at = due
            timer.save(update_fields=["due_at"])
    schedule_sla(incident)


def schedule_plan_timers(incident: Incident, scenario: schema.Scenario):
    """The scenario's timers, counted from when the incident opened (as the plan writes them)."""
    for timer in scenario.timers:
        if timer.action is None:
            continue
        schedule(incident, K.PLAN, f"{scenario.id}:{timer.id}",
                 schema.deadline_after(incident.opened_at, timer.after),
                 timer.action.model_dump(mode="json"), unless=timer.unless)


MAX_REMINDER_MINUTES = 7 * 24 * 60


@transaction.atomic
def add_reminder(incident: Incident, minutes: int, text: str, user=None) -> Timer:
    """A reminder a person sets on an open incident; it tells the commander when due."""
    incident = locked(incident)
    if minutes is None or minutes < 1:
        raise Refused("minutes", _("a reminder is at least one minute away"))
    if minutes > MAX_REMINDER_MINUTES:
        raise Refused("minutes", _("a reminder is at most %(max)d minutes (a week) away")
                      % {"max": MAX_REMINDER_MINUTES})
    if not (text or "").strip():
        raise Refused("text", _("say what the reminder is for"))
    due = clock.now() + schema.to_timedelta(f"{minutes}min")
    timer = schedule(incident, K.REMINDER, f"{due.isoformat()}:{incident.timers.count()}", due,
                     {"kind": "page", "step": "renotify", "text": text.strip()[:300]})
    with in_plan_language(incident):
        record(incident, TimelineEntry.Kind.TIMER,
               _("Reminder set for %(minutes)d min: %(text)s") % {"minutes": minutes, "text": timer.text},
               user, timer=timer.pk, scheduled=True)
    return timer


def cancel_after(incident: Incident, status: str, actor=None):
    """Acknowledged: the escalation stops. Resolved: every pending timer stops."""
    pending = Timer.objects.select_for_update(skip_locked=True).filter(incident=incident, status=Timer.Status.PENDING)
    if status == Incident.Status.ACKNOWLEDGED:
        pending = pending.filter(unless=Timer.Unless.ACKNOWLEDGED)
    cancelled = [end(timer, Timer.Status.CANCELLED, "") for timer in pending]
    if cancelled:
        record(incident, TimelineEntry.Kind.TIMER,
               _("Timers cancelled (%(status)s): %(timers)s")
               % {"status": Incident.Status(status).label, "timers": "; ".join(t.text or t.key for t in cancelled)},
               actor, cancelled=[t.pk for t in cancelled])


def cancel_step_timers(incident: Incident, item_id: int):
    """A step done or skipped: its overdue pages stop (quietly: the step's own entry says it)."""
    pending = Timer.objects.select_for_update(skip_locked=True).filter(
        incident=incident, kind=K.STEP_OVERDUE, status=Timer.Status.PENDING,
        key__in=[f"{item_id}:owner", f"{item_id}:commander"])
    for timer in pending:
        end(timer, Timer.Status.CANCELLED, "step closed")


def end(timer: Timer, status: str, by: str) -> Timer:
    """A timer stops for good: fired, failed or cancelled, when and by whom."""
    timer.status, timer.fired_at, timer.fired_by = status, clock.now(), by[:100]
    timer.save(update_fields=["status", "fired_at", "fired_by"])
    return timer

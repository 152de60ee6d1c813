"""When a timer goes off (到时执行): the worker fires due timers and does what each one says.

`fire_due_timers` (run by `lifeline worker` every second, see tasks.py) claims one due timer
at a time with SELECT ... FOR UPDATE SKIP LOCKED, performs its action and marks it fired in
the same transaction: a worker killed at any moment leaves the timer either fired with all
its effects or pending with none, and two workers never fire the same timer.

Lock order, to stay free of deadlocks: a worker locks its timer, then the incident; a
person's action locks the incident, then touches pending timers only with SKIP LOCKED (a
timer a worker holds is re-checked by that worker once it has the incident).

This is the top of the incidents actions: a timer's action (`perform`) may page or tell roles
(escalation: a step of the chain, the whole chain again while nobody acknowledges, the owner
or commander of an overdue step), switch on duty cards (cards), change the level (lifecycle.set_level), start a
scenario (checklist.start_scenario) or post a notice through the outbox, so this module
imports all of them and none of them imports it: the lower actions only *set* timers (rows
naming an action kind), and the action runs from here. No callback or registry is needed.
"""
import logging

from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.incidents.cards import activate_cards
from lifeline.incidents.checklist import start_scenario
from lifeline.incidents.escalation import notify, page, page_chain, page_overdue_step, schedule_renotify
from lifeline.incidents.lifecycle import set_level
from lifeline.incidents.locking import locked
from lifeline.incidents.models import ChecklistItem, Incident, TimelineEntry, Timer
from lifeline.incidents.outbox import write
from lifeline.incidents.roles import holder, lead_role
from lifeline.incidents.timeline import record
from lifeline.incidents.timers import end
from lifeline.incidents.wording import in_plan_language

log = logging.getLogger("lifeline.incidents.timers")

# At most this many timers per run of the job, so the worker's other jobs get their turn.
FIRE_LIMIT = 200
K = Timer.Kind


def fire_due_timers(now=None, worker_name: str = "", limit: int = FIRE_LIMIT) -> int:
    """Fire every due pending timer (up to `limit`), each in its own transaction; returns how many."""
    now = now or clock.now()
    done = 0
    while done < limit:
        with transaction.atomic():
            timer = (Timer.objects.select_for_update(skip_locked=True)
                     .filter(status=Timer.Status.PENDING, due_at__lte=now).order_by("due_at", "pk").first())
            if timer is None:
                break
            _fire(timer, now, worker_name or "worker")
        done += 1
    return done


def _fire(timer: Timer, now, by: str):
    incident = locked(timer.incident)
    # Someone may have changed it while this worker waited for the incident.
    timer.refresh_from_db()
    if timer.status != Timer.Status.PENDING or timer.due_at > now:
        return
    with in_plan_language(incident):
        reason = _why_not(timer, incident)
        if reason:
            end(timer, Timer.Status.CANCELLED, by)
            record(incident, TimelineEntry.Kind.TIMER, _("Timer not fired (%(why)s): %(text)s")
                   % {"why": reason, "text": timer.text}, by, timer=timer.pk, cancelled=True)
            return
        try:
            with transaction.atomic():
                record(incident, TimelineEntry.Kind.TIMER, _("Timer fired: %(text)s") % {"text": timer.text},
                       by, timer=timer.pk, timer_kind=timer.kind, key=timer.key)
                perform(incident, timer, by)
                end(timer, Timer.Status.FIRED, by)
        except Exception as exc:  # a broken action must not block the timers behind it
            log.exception("timer %s of incident %s failed", timer.pk, incident.pk)
            timer.error = repr(exc)[:2000]
            timer.save(update_fields=["error"])
            end(timer, Timer.Status.FAILED, by)
            record(incident, TimelineEntry.Kind.TIMER, _("Timer failed: %(text)s (%(error)s)")
                   % {"text": timer.text, "error": exc}, by, timer=timer.pk, failed=True)


def _why_not(timer: Timer, incident: Incident) -> str:
    if not incident.is_open:
        return incident.status
    if timer.unless == Timer.Unless.ACKNOWLEDGED and incident.acknowledged_at:
        return Incident.Status.ACKNOWLEDGED
    if timer.kind == K.STEP_OVERDUE:
        item = _step(incident, timer)
        if item is None or item.status != ChecklistItem.Status.OPEN:
            return item.get_status_display() if item else _("no such step")
    return ""


def _step(incident: Incident, timer: Timer) -> ChecklistItem | None:
    return incident.checklist.filter(pk=timer.action.get("item")).first()


def perform(incident: Incident, timer: Timer, by: str):
    """Do what the timer says; the timeline entry that says it fired is already written."""
    action = timer.action
    kind = action["kind"]
    source = f"timer:{timer.pk}"
    if kind == "page" and action["step"] == "chain":
        page_chain(incident, action["round"], timer.text, timer.due_at)
    elif kind == "page":
        page(incident, action["step"], source, timer.text)
        if action["step"] == "renotify" and timer.kind == K.RENOTIFY:
            schedule_renotify(incident, action["count"] + 1)
    elif kind == "step_overdue":
        page_overdue_step(incident, _step(incident, timer), action["stage"], timer.text, timer.due_at)
    elif kind == "sla":
        notify(incident, [lead_role(incident)], timer.text, source)
    elif kind == "notify":
        notify(incident, action["roles"], action["text"], source)
    elif kind == "duty_cards":
        activate_cards(incident, action["cards"], by)
    elif kind == "set_mode":
        departments = action["departments"] or ["*"]
        incident.modes = {**incident.modes, **{d: action["mode"] for d in departments}}
        incident.save(update_fields=["modes"])
        record(incident, TimelineEntry.Kind.MODE, action["text"], by,
               mode=action["mode"], departments=departments)
    elif kind == "notice":
        _post_notice(incident, action, source, by)
    elif kind == "escalate":
        set_level(incident, action["level"], action["text"], by)
    elif kind == "switch_scenario":
        start_scenario(incident, action["scenario"], None)
    else:
        raise ValueError(f"unknown timer action {kind!r}")


def _post_notice(incident, action, source, by):
    notice = next((n for n in incident.plan.notices if n.id == action["notice"]), None)
    title, body = (notice.title, notice.body) if notice else (action["text"], "")
    record(incident, TimelineEntry.Kind.NOTICE, f"{title}: {body}" if body else title, by,
           notice=action["notice"])
    liaison = holder(incident, "liaison")
    if liaison is None:
        record(incident, TimelineEntry.Kind.PAGE, _("Nobody holds the liaison role to post the notice"), by)
        return
    write(incident, liaison, "liaison", f"{action['text']} · {title}", body, f"{source}:liaison")

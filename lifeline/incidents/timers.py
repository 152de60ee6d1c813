"""Durable timers (计时), escalation while nobody acknowledges, and the outbox.

Every timer is a row. `fire_due_timers` (run by `lifeline worker` every second) claims one
due timer at a time with SELECT ... FOR UPDATE SKIP LOCKED, performs its action and marks it
fired in the same transaction: a worker killed at any moment leaves the timer either fired
with all its effects or pending with none, and two workers never fire the same timer.

Lock order, to stay free of deadlocks: a worker locks its timer, then the incident; a
person's action locks the incident, then touches pending timers only with SKIP LOCKED (a
timer a worker holds is re-checked by that worker once it has the incident).
"""
import logging

from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.incidents import cards, scenarios, services
from lifeline.incidents.models import DRILL_MARK, Incident, OutboxMessage, TimelineEntry, Timer
from lifeline.people import services as people
from lifeline.people.models import DutyKind, Member
from lifeline.plans import schema
from lifeline.plans.simulate import ESCALATION_STEPS

log = logging.getLogger("lifeline.incidents.timers")

# At most this many timers per run of the job, so the worker's other jobs get their turn.
FIRE_LIMIT = 200
K = Timer.Kind


# --- scheduling --------------------------------------------------------------------------

def schedule(incident: Incident, kind: str, key: str, due_at, action: dict,
             unless: str = Timer.Unless.RESOLVED) -> Timer:
    """Set a timer once: setting the same (kind, key) again returns the one already there."""
    if not incident.is_open:
        raise services.Refused("incident", _("the incident is %(status)s: it takes no more timers")
                               % {"status": incident.get_status_display()})
    timer, _created = Timer.objects.get_or_create(
        incident=incident, kind=kind, key=key,
        defaults={"due_at": due_at, "action": action, "unless": unless})
    return timer


def schedule_on_open(incident: Incident):
    """Page the lead role's person on duty now; set the escalation chain and the SLA deadlines."""
    escalation = incident.plan.escalation
    timeout = schema.to_timedelta(escalation.ack_timeout)
    for position, step in enumerate(escalation.chain):
        if position == 0:
            page(incident, step, f"ack:{step}")
            continue
        schedule(incident, K.ACK_ESCALATION, step, incident.opened_at + position * timeout,
                 {"kind": "page", "step": step, "text": _("Not acknowledged: paging %(step)s") % {
                     "step": _step_label(step)}},
                 unless=Timer.Unless.ACKNOWLEDGED)
    _schedule_sla(incident)


def _schedule_sla(incident: Incident):
    """Timers for the SLA deadlines (once each; a deadline already fired or cancelled stays so)."""
    # An immediate response deadline is the page sent at opening; it needs no timer.
    if not incident.acknowledged_at and incident.respond_by and incident.respond_by > incident.opened_at:
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
        if due is None or due <= incident.opened_at:
            _end(timer, Timer.Status.CANCELLED, "level changed")
        else:
            timer.due_at = due
            timer.save(update_fields=["due_at"])
    _schedule_sla(incident)


def schedule_plan_timers(incident: Incident, scenario: schema.Scenario):
    """The scenario's timers, counted from when the incident opened (as the plan writes them)."""
    for timer in scenario.timers:
        if timer.action is None:
            continue
        schedule(incident, K.PLAN, f"{scenario.id}:{timer.id}",
                 schema.deadline_after(incident.opened_at, timer.after),
                 timer.action.model_dump(mode="json"), unless=timer.unless)


def schedule_renotify(incident: Incident, count: int):
    """Acknowledged but still open after the plan's renotify_after: tell the commander again."""
    after = incident.plan.escalation.renotify_after
    if after:
        schedule(incident, K.RENOTIFY, str(count), clock.now() + schema.to_timedelta(after),
                 {"kind": "page", "step": "renotify", "count": count,
                  "text": _("Still not resolved: reminder %(n)d") % {"n": count}})


@transaction.atomic
def add_reminder(incident: Incident, minutes: int, text: str, user=None) -> Timer:
    """A reminder a person sets on an open incident; it tells the commander when due."""
    incident = services.locked(incident)
    if minutes is None or minutes < 1:
        raise services.Refused("minutes", _("a reminder is at least one minute away"))
    if not (text or "").strip():
        raise services.Refused("text", _("say what the reminder is for"))
    due = clock.now() + schema.to_timedelta(f"{minutes}min")
    timer = schedule(incident, K.REMINDER, f"{due.isoformat()}:{incident.timers.count()}", due,
                     {"kind": "page", "step": "renotify", "text": text.strip()[:300]})
    with services.in_plan_language(incident):
        services.record(incident, TimelineEntry.Kind.TIMER,
                        _("Reminder set for %(minutes)d min: %(text)s") % {"minutes": minutes, "text": timer.text},
                        user, timer=timer.pk, scheduled=True)
    return timer


def cancel_after(incident: Incident, status: str, actor=None):
    """Acknowledged: the escalation stops. Resolved: every pending timer stops."""
    pending = Timer.objects.select_for_update(skip_locked=True).filter(incident=incident, status=Timer.Status.PENDING)
    if status == Incident.Status.ACKNOWLEDGED:
        pending = pending.filter(unless=Timer.Unless.ACKNOWLEDGED)
    cancelled = [_end(timer, Timer.Status.CANCELLED, "") for timer in pending]
    if cancelled:
        services.record(incident, TimelineEntry.Kind.TIMER,
                        _("Timers cancelled (%(status)s): %(timers)s")
                        % {"status": status, "timers": "; ".join(t.text or t.key for t in cancelled)},
                        actor, cancelled=[t.pk for t in cancelled])


def _end(timer: Timer, status: str, by: str) -> Timer:
    timer.status, timer.fired_at, timer.fired_by = status, clock.now(), by[:100]
    timer.save(update_fields=["status", "fired_at", "fired_by"])
    return timer


# --- firing ------------------------------------------------------------------------------

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
    incident = services.locked(timer.incident)
    # Someone may have changed it while this worker waited for the incident.
    timer.refresh_from_db()
    if timer.status != Timer.Status.PENDING or timer.due_at > now:
        return
    with services.in_plan_language(incident):
        reason = _why_not(timer, incident)
        if reason:
            _end(timer, Timer.Status.CANCELLED, by)
            services.record(incident, TimelineEntry.Kind.TIMER, _("Timer not fired (%(why)s): %(text)s")
                            % {"why": reason, "text": timer.text}, by, timer=timer.pk, cancelled=True)
            return
        try:
            with transaction.atomic():
                services.record(incident, TimelineEntry.Kind.TIMER, _("Timer fired: %(text)s") % {"text": timer.text},
                                by, timer=timer.pk, timer_kind=timer.kind, key=timer.key)
                perform(incident, timer, by)
                _end(timer, Timer.Status.FIRED, by)
        except Exception as exc:  # a broken action must not block the timers behind it
            log.exception("timer %s of incident %s failed", timer.pk, incident.pk)
            timer.error = repr(exc)[:2000]
            timer.save(update_fields=["error"])
            _end(timer, Timer.Status.FAILED, by)
            services.record(incident, TimelineEntry.Kind.TIMER, _("Timer failed: %(text)s (%(error)s)")
                            % {"text": timer.text, "error": exc}, by, timer=timer.pk, failed=True)


def _why_not(timer: Timer, incident: Incident) -> str:
    if not incident.is_open:
        return incident.status
    if timer.unless == Timer.Unless.ACKNOWLEDGED and incident.acknowledged_at:
        return Incident.Status.ACKNOWLEDGED
    return ""


def perform(incident: Incident, timer: Timer, by: str):
    """Do what the timer says; the timeline entry that says it fired is already written."""
    action = timer.action
    kind = action["kind"]
    source = f"timer:{timer.pk}"
    if kind == "page":
        page(incident, action["step"], source, timer.text)
        if action["step"] == "renotify" and timer.kind == K.RENOTIFY:
            schedule_renotify(incident, action["count"] + 1)
    elif kind == "sla":
        notify(incident, [services.lead_role(incident)], timer.text, source)
    elif kind == "notify":
        notify(incident, action["roles"], action["text"], source)
    elif kind == "duty_cards":
        cards.activate_cards(incident, action["cards"], by)
    elif kind == "set_mode":
        departments = action["departments"] or ["*"]
        incident.modes = {**incident.modes, **{d: action["mode"] for d in departments}}
        incident.save(update_fields=["modes"])
        services.record(incident, TimelineEntry.Kind.MODE, action["text"], by,
                        mode=action["mode"], departments=departments)
    elif kind == "notice":
        _post_notice(incident, action, source, by)
    elif kind == "escalate":
        services.set_level(incident, action["level"], action["text"], by)
    elif kind == "switch_scenario":
        scenarios.start_scenario(incident, action["scenario"], None)
    else:
        raise ValueError(f"unknown timer action {kind!r}")


def _post_notice(incident, action, source, by):
    notice = next((n for n in incident.plan.notices if n.id == action["notice"]), None)
    title, body = (notice.title, notice.body) if notice else (action["text"], "")
    services.record(incident, TimelineEntry.Kind.NOTICE, f"{title}: {body}" if body else title, by,
                    notice=action["notice"])
    liaison = services.holder(incident, "liaison")
    if liaison is None:
        services.record(incident, TimelineEntry.Kind.PAGE, _("Nobody holds the liaison role to post the notice"), by)
        return
    _write(incident, liaison, "liaison", f"{action['text']} · {title}", body, f"{source}:liaison")


# --- paging and the outbox ---------------------------------------------------------------

def page(incident: Incident, step: str, source: str, text: str = ""):
    """Page whoever the escalation step names; nobody on duty is said on the timeline."""
    recipients = step_recipients(incident, step)
    subject = text or _("Incident needs acknowledging")
    for role, member in recipients:
        if member is None:
            services.record(incident, TimelineEntry.Kind.PAGE, _("Nobody on duty as %(role)s to page (%(step)s)")
                            % {"role": services.role_title(incident, role), "step": _step_label(step)}, "system",
                            step=step, role=role)
            continue
        _write(incident, member, role, subject, _page_body(incident), f"{source}:{step}:{member.pk}")
        services.record(incident, TimelineEntry.Kind.PAGE, _("Paged %(member)s as %(role)s (%(step)s)")
                        % {"member": member, "role": services.role_title(incident, role), "step": _step_label(step)},
                        "system",
                        step=step, role=role, member=member.pk)


def _step_label(step: str) -> str:
    """An escalation step in words, as the plan simulation says it."""
    if step == "renotify":
        return _("reminder after acknowledgement")
    return str(ESCALATION_STEPS.get(step, step))


def step_recipients(incident: Incident, step: str) -> list[tuple[str | None, object]]:
    """(plan role, member on duty or None) for a step of the escalation chain."""
    plan = incident.plan
    lead = services.lead_role(incident)
    at = clock.now()
    if step == "on_duty":
        return [(lead, lead and people.on_duty(lead, at))]
    if step == "backup":
        return [(lead, lead and people.on_duty(lead, at, DutyKind.BACKUP))]
    if step == "group_lead":
        role = _group_lead_role(plan, lead)
        return [(role, services.find_member(role))]
    if step == "command_centre":
        groups = {g.id for g in plan.groups if g.kind == "command"}
        roles = [g.lead for g in plan.groups if g.id in groups and g.lead]
        roles += [r.id for r in plan.roles if r.group in groups and r.id not in roles]
        found = [(role, people.on_duty(role, at)) for role in roles]
        return [pair for pair in found if pair[1]] or [(",".join(roles), None)]
    if step == "renotify":
        commander = services.holder(incident, "commander")
        return [("commander", commander)] if commander else [(lead, services.find_member(lead))]
    raise ValueError(f"unknown escalation step {step!r}")


def _group_lead_role(plan: schema.Plan, lead: str | None) -> str | None:
    """The lead of the lead role's group; if that is the lead role itself, the lead above it."""
    role = next((r for r in plan.roles if r.id == lead), None)
    group = next((g for g in plan.groups if role and g.id == role.group), None)
    while group is not None:
        if group.lead and group.lead != lead:
            return group.lead
        group = next((g for g in plan.groups if g.id == group.parent), None)
    return None


def notify(incident: Incident, roles, text: str, source: str):
    """Tell the people on duty in the roles (a group id means its lead)."""
    leads = {g.id: g.lead for g in incident.plan.groups}
    for role in roles:
        target = leads.get(role) or role
        member = services.find_member(target)
        if member is None:
            services.record(incident, TimelineEntry.Kind.PAGE, _("Nobody on duty as %(role)s to tell: %(text)s")
                            % {"role": services.role_title(incident, role), "text": text}, "system", role=role)
            continue
        _write(incident, member, role, text, _page_body(incident), f"{source}:{role}:{member.pk}")


def _page_body(incident: Incident) -> str:
    level = incident.level
    return f"#{incident.pk} {incident.title} · {level.name if level else incident.level_id} · {incident.status}"


def _write(incident, member, role, subject, body, dedupe_key) -> OutboxMessage:
    """One message in the outbox; the same cause for the same person is written once."""
    prefix = DRILL_MARK if incident.is_drill else ""
    message, _created = OutboxMessage.objects.get_or_create(
        dedupe_key=f"{incident.pk}:{dedupe_key}"[:200],
        defaults={"incident": incident, "member": member, "role": role or "",
                  "subject": f"{prefix}{subject}"[:300], "body": body, "created_at": clock.now()})
    return message


def tell_reporters(incident: Incident, note: str = ""):
    """Tell everyone who reported into the incident its new status: their member record if
    their login has one, else the contact they left on the report (the outbox's `contact`)."""
    members = {m.user_id: m for m in Member.objects.filter(user__fault_reports__incident=incident).distinct()}
    subject = _("Your report %(number)s: the incident is now %(status)s")
    for report in incident.reports.all():
        member = members.get(report.reporter_id)
        text = subject % {"number": report.number, "status": incident.get_status_display()}
        body = f"{_page_body(incident)}\n{note}" if note else _page_body(incident)
        OutboxMessage.objects.get_or_create(
            dedupe_key=f"{incident.pk}:report:{report.number}:{incident.status}"[:200],
            defaults={"incident": incident, "member": member, "contact": "" if member else report.contact,
                      "role": "reporter", "subject": f"{DRILL_MARK if incident.is_drill else ''}{text}"[:300],
                      "body": body, "created_at": clock.now()})

"""Escalation (呼叫升级): paging the escalation chain until someone acknowledges, telling roles,
and reminding the commander after acknowledgement.

At opening the chain's first step is paged at once and each later step is a timer
(ACK_ESCALATION, stopped by acknowledgement); an acknowledged incident still open after the
plan's renotify_after gets RENOTIFY timers. When those timers go off, firing.py calls `page`
and `notify` here. Every page is an outbox row (outbox.write, deduplicated per cause and
person); nobody on duty for a step is said on the timeline instead. Runs in the caller's
transaction. Imports timers and the leaves, never lifecycle or firing.
"""
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.incidents.models import Incident, TimelineEntry, Timer
from lifeline.incidents.outbox import page_body, write
from lifeline.incidents.roles import find_member, holder, lead_role
from lifeline.incidents.timeline import record
from lifeline.incidents.timers import schedule, schedule_sla
from lifeline.incidents.wording import role_title
from lifeline.people import services as people
from lifeline.people.models import DutyKind
from lifeline.plans import schema
from lifeline.plans.simulate import ESCALATION_STEPS

K = Timer.Kind


# --- scheduling --------------------------------------------------------------------------

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
    schedule_sla(incident)


def schedule_renotify(incident: Incident, count: int):
    """Acknowledged but still open after the plan's renotify_after: tell the commander again."""
    after = incident.plan.escalation.renotify_after
    if after:
        schedule(incident, K.RENOTIFY, str(count), clock.now() + schema.to_timedelta(after),
                 {"kind": "page", "step": "renotify", "count": count,
                  "text": _("Still not resolved: reminder %(n)d") % {"n": count}})


# --- paging ------------------------------------------------------------------------------

def page(incident: Incident, step: str, source: str, text: str = ""):
    """Page whoever the escalation step names; nobody on duty is said on the timeline."""
    recipients = step_recipients(incident, step)
    subject = text or _("Incident needs acknowledging")
    for role, member in recipients:
        if member is None:
            record(incident, TimelineEntry.Kind.PAGE, _("Nobody on duty as %(role)s to page (%(step)s)")
                   % {"role": role_title(incident, role), "step": _step_label(step)}, "system",
                   step=step, role=role)
            continue
        write(incident, member, role, subject, page_body(incident), f"{source}:{step}:{member.pk}")
        record(incident, TimelineEntry.Kind.PAGE, _("Paged %(member)s as %(role)s (%(step)s)")
               % {"member": member, "role": role_title(incident, role), "step": _step_label(step)},
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
    lead = lead_role(incident)
    at = clock.now()
    if step == "on_duty":
        return [(lead, lead and people.on_duty(lead, at))]
    if step == "backup":
        return [(lead, lead and people.on_duty(lead, at, DutyKind.BACKUP))]
    if step == "group_lead":
        role = _group_lead_role(plan, lead)
        return [(role, find_member(role))]
    if step == "command_centre":
        groups = {g.id for g in plan.groups if g.kind == "command"}
        roles = [g.lead for g in plan.groups if g.id in groups and g.lead]
        roles += [r.id for r in plan.roles if r.group in groups and r.id not in roles]
        found = [(role, people.on_duty(role, at)) for role in roles]
        return [pair for pair in found if pair[1]] or [(",".join(roles), None)]
    if step == "renotify":
        commander = holder(incident, "commander")
        return [("commander", commander)] if commander else [(lead, find_member(lead))]
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
        member = find_member(target)
        if member is None:
            record(incident, TimelineEntry.Kind.PAGE, _("Nobody on duty as %(role)s to tell: %(text)s")
                   % {"role": role_title(incident, role), "text": text}, "system", role=role)
            continue
        write(incident, member, role, text, page_body(incident), f"{source}:{role}:{member.pk}")

"""Escalation (呼叫升级): paging the escalation chain until someone acknowledges, telling a
level's roles, paging the owners of overdue steps, and reminding the commander after
acknowledgement.

At opening the chain's first step is paged at once and each later step is a timer
(ACK_ESCALATION, stopped by acknowledgement). One `renotify_after` after the last step, if
still nobody has acknowledged, the whole chain is paged again, and again every
`renotify_after` (timers `repeat:1`, `repeat:2` …, each setting the next when it fires, in
the same transaction: a round is sent once, however often workers restart; acknowledging
cancels the pending one). An acknowledged incident still open after `renotify_after` gets
RENOTIFY timers for its commander.

Reaching a level (opening at it, or being moved to it) tells the level's `notify` roles, each
message carrying the level's `channels` for lifeline.notify to prefer (`tell_level`). A
checklist step not done by its due time pages its owner, then (still not done one
`renotify_after`, default 30 min, later) the commander (`page_overdue_step`, timers of kind
STEP_OVERDUE set by checklist.start_scenario).

When those timers go off, firing.py calls the functions here. Every page is an outbox row
(outbox.write, deduplicated per cause and person); nobody on duty for a step is said on the
timeline instead. Runs in the caller's transaction. Imports timers and the leaves, never
lifecycle or firing.
"""
from datetime import timedelta

from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.incidents.models import ChecklistItem, Incident, TimelineEntry, Timer
from lifeline.incidents.outbox import page_body, write
from lifeline.incidents.roles import find_member, holder, lead_role
from lifeline.incidents.timeline import record
from lifeline.incidents.timers import schedule, schedule_sla
from lifeline.incidents.wording import role_title
from lifeline.people import services as people
from lifeline.people.models import DutyKind
from lifeline.plans import schema
from lifeline.plans.printing import LABELS
from lifeline.plans.simulate import ESCALATION_STEPS

K = Timer.Kind
# How long an overdue step waits before its commander is paged, when the plan sets no
# renotify_after.
OVERDUE_COMMANDER_AFTER = timedelta(minutes=30)


# --- scheduling --------------------------------------------------------------------------

def schedule_on_open(incident: Incident):
    """Page the lead role's person on duty now and tell the level's roles; set the escalation
    chain, its repeats while nobody acknowledges, and the SLA deadlines."""
    escalation = incident.plan.escalation
    timeout = schema.to_timedelta(escalation.ack_timeout)
    paged = []
    for position, step in enumerate(escalation.chain):
        if position == 0:
            paged = page(incident, step, f"ack:{step}")
            continue
        schedule(incident, K.ACK_ESCALATION, step, incident.opened_at + position * timeout,
                 {"kind": "page", "step": step, "text": _("Not acknowledged: paging %(step)s") % {
                     "step": _step_label(step)}},
                 unless=Timer.Unless.ACKNOWLEDGED)
    every = repeat_every(incident)
    if every and escalation.chain:
        schedule_repeat(incident, 1, incident.opened_at + (len(escalation.chain) - 1) * timeout + every)
    tell_level(incident, _("Incident opened at level %(level)s") % {"level": incident.level.name},
               skip={m.pk for m in paged})
    schedule_sla(incident)


def repeat_every(incident: Incident) -> timedelta | None:
    """How often the whole chain is paged again while nobody acknowledges (the plan's renotify_after)."""
    after = incident.plan.escalation.renotify_after
    return schema.to_timedelta(after) if after else None


def schedule_repeat(incident: Incident, round_: int, due_at):
    """Round `round_` of paging the whole chain again, unless someone acknowledges first."""
    schedule(incident, K.ACK_ESCALATION, f"repeat:{round_}", due_at,
             {"kind": "page", "step": "chain", "round": round_,
              "text": _("Nobody acknowledged: paging the whole chain again (round %(n)d)") % {"n": round_}},
             unless=Timer.Unless.ACKNOWLEDGED)


def schedule_renotify(incident: Incident, count: int):
    """Acknowledged but still open after the plan's renotify_after: tell the commander again."""
    after = incident.plan.escalation.renotify_after
    if after:
        schedule(incident, K.RENOTIFY, str(count), clock.now() + schema.to_timedelta(after),
                 {"kind": "page", "step": "renotify", "count": count,
                  "text": _("Still not resolved: reminder %(n)d") % {"n": count}})


def schedule_overdue_step(incident: Incident, item: ChecklistItem):
    """The step's owner is paged if the step is still open when it falls due. A step due
    `immediate` is not chased: the page at opening was its call (as for an immediate response
    deadline, timers.schedule_sla)."""
    if item.due_at is None or item.due_at <= clock.now():
        return
    schedule(incident, K.STEP_OVERDUE, f"{item.pk}:owner", item.due_at,
             {"kind": "step_overdue", "item": item.pk, "stage": "owner",
              "text": _("Step overdue: %(title)s") % {"title": item.title}})


# --- paging ------------------------------------------------------------------------------

def page(incident: Incident, step: str, source: str, text: str = "") -> list:
    """Page whoever the escalation step names; nobody on duty is said on the timeline.
    Returns the members paged."""
    return _page(incident, step_recipients(incident, step), text or _("Incident needs acknowledging"),
                 _step_label(step), lambda member: f"{source}:{step}:{member.pk}", step=step)


def page_chain(incident: Incident, round_: int, text: str, due_at):
    """Nobody has acknowledged: page every step of the chain at once (each person once), and set
    the next round one interval on. Missed rounds (a worker down for hours) are not sent late."""
    pairs = []
    for step in incident.plan.escalation.chain:
        pairs += step_recipients(incident, step)
    label = _("whole chain again, round %(n)d") % {"n": round_}
    _page(incident, pairs, text, label, lambda member: f"repeat:{round_}:{member.pk}", step="chain", round=round_)
    every = repeat_every(incident)
    if every:
        following, now = due_at + every, clock.now()
        while following <= now:
            following += every
        schedule_repeat(incident, round_ + 1, following)


def _page(incident, pairs, subject, label, key, **data) -> list:
    paged = {}
    for role, member in pairs:
        if member is None:
            record(incident, TimelineEntry.Kind.PAGE, _("Nobody on duty as %(role)s to page (%(step)s)")
                   % {"role": role_title(incident, role), "step": label}, "system", role=role, **data)
            continue
        if member.pk in paged:
            continue
        paged[member.pk] = member
        write(incident, member, role, subject, page_body(incident), key(member))
        record(incident, TimelineEntry.Kind.PAGE, _("Paged %(member)s as %(role)s (%(step)s)")
               % {"member": member, "role": role_title(incident, role), "step": label},
               "system", role=role, member=member.pk, **data)
    return list(paged.values())


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
        return [commander(incident)]
    raise ValueError(f"unknown escalation step {step!r}")


def commander(incident: Incident) -> tuple[str | None, object]:
    """(role, member) of whoever commands: the commander's holder, else the lead role on duty."""
    held = holder(incident, "commander")
    if held:
        return "commander", held
    lead = lead_role(incident)
    return lead, find_member(lead)


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


# --- a level's roles -----------------------------------------------------------------------

def told_roles(plan: schema.Plan, ident: str) -> list[str]:
    """The plan roles a level's `notify` entry names: a role itself; a group's lead, or each of
    its roles when it has no lead."""
    group = next((g for g in plan.groups if g.id == ident), None)
    if group is None:
        return [ident]
    if group.lead:
        return [group.lead]
    return [r.id for r in plan.roles if r.group == group.id] or [ident]


def tell_level(incident: Incident, text: str, skip=()):
    """The incident has reached its level: page the level's `notify` roles (each person once,
    leaving out `skip`, people just paged), each message carrying the level's channels to prefer.
    Once per level reached: reaching it again after leaving it tells them again."""
    level = incident.level
    if level is None or not level.notify:
        return
    channels = [c.value for c in level.channels]
    reached = incident.timeline.filter(kind=TimelineEntry.Kind.LEVEL).count()
    words = LABELS.get(incident.plan.language, LABELS["zh-hans"])
    told = set(skip)
    for ident in level.notify:
        for role in told_roles(incident.plan, ident):
            member = find_member(role)
            if member is None:
                record(incident, TimelineEntry.Kind.PAGE, _("Nobody on duty as %(role)s to tell: %(text)s")
                       % {"role": role_title(incident, role), "text": text}, "system",
                       role=role, level=level.id)
                continue
            if member.pk in told:
                continue
            told.add(member.pk)
            write(incident, member, role, text, page_body(incident), f"level:{reached}:{level.id}:{member.pk}",
                  channels=channels)
            said = _("Told %(member)s as %(role)s: %(text)s") % {
                "member": member, "role": role_title(incident, role), "text": text}
            if channels:
                said = _("%(text)s (by %(channels)s)") % {
                    "text": said,
                    "channels": words["list_sep"].join(words["channel_names"].get(c, c) for c in channels)}
            record(incident, TimelineEntry.Kind.PAGE, said, "system", role=role, member=member.pk,
                   level=level.id, channels=channels)


# --- overdue steps -------------------------------------------------------------------------

def page_overdue_step(incident: Incident, item: ChecklistItem, stage: str, text: str, due_at):
    """An open step past its due time: page its owner (its assignee, else who is on duty in its
    owner role; a group's lead) and set the commander's page one interval on; at that stage,
    page the commander."""
    if stage == "owner" and item.assignee:
        pairs = [(item.owner_role or None, item.assignee)]
    elif stage == "owner":
        roles = told_roles(incident.plan, item.owner_role) if item.owner_role else [None]
        pairs = [(role, find_member(role)) for role in roles]
    else:
        pairs = [commander(incident)]
    label = _("overdue step") if stage == "owner" else _("overdue step, to the commander")
    _page(incident, pairs, text, label, lambda member: f"overdue:step:{item.pk}:{stage}:{member.pk}",
          step="overdue", item=item.pk, stage=stage)
    if stage == "owner":
        after = incident.plan.escalation.renotify_after
        wait = schema.to_timedelta(after) if after else OVERDUE_COMMANDER_AFTER
        schedule(incident, K.STEP_OVERDUE, f"{item.pk}:commander", max(due_at + wait, clock.now()),
                 {"kind": "step_overdue", "item": item.pk, "stage": "commander",
                  "text": _("Step still overdue: %(title)s") % {"title": item.title}})

"""A dry run of one scenario: what happens when, if nobody acknowledges or resolves anything.

It says what lifeline.incidents does (keep them in step): the level's roles are told at the
start through its channels; each hop of the chain is paged one ack timeout after the one
before, then the whole chain again every renotify_after; a step not done by its due time
pages its owner, then the commander one renotify_after (default 30 min) later; timers fire.

Used by `lifeline plan simulate` and the plan pages to show a plan's timing before a drill.
The timeline mixes the plan's own words with ours, so it is told in the plan's language,
whatever the reader's interface language is; a wrong scenario id is the reader's mistake
and is told in the reader's language.
"""
from typing import NamedTuple

from django.utils import translation
from django.utils.translation import gettext as _

from lifeline.plans import schema
from lifeline.plans.printing import LABELS, say_duration
from lifeline.plans.vocabulary import (
    ESCALATION_STEPS,  # noqa: F401 - incidents.escalation reads it from here
    UNLESS,
    escalation_step_names,
)

# Who an overdue step goes to after its owner, when the plan sets no renotify_after (the same
# as lifeline.incidents.escalation.OVERDUE_COMMANDER_AFTER).
OVERDUE_COMMANDER_AFTER = "30min"


class UnknownScenario(ValueError):
    pass


class Event(NamedTuple):
    minute: float  # from the start of the scenario
    kind: str  # start, level, duty_card, notice, step, overdue, page, renotify, timer
    text: str


def _minutes(duration: str) -> float:
    return schema.to_timedelta(duration).total_seconds() / 60


def format_offset(minute: float) -> str:
    """0 -> T+0, 30 -> T+30min, 90 -> T+1h30min, 1.5 -> T+1min30s, 2880 -> T+2d."""
    seconds = round(minute * 60)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "T+" + ("".join(parts) or "0")


def simulate(plan: schema.Plan, scenario_id: str) -> list[Event]:
    scenario = next((s for s in plan.scenarios if s.id == scenario_id), None)
    if scenario is None:
        raise UnknownScenario(_("plan %(plan)s has no scenario %(scenario)r; its scenarios: %(known)s") % {
            "plan": plan.id, "scenario": scenario_id, "known": ", ".join(s.id for s in plan.scenarios)})
    with translation.override(plan.language):
        return _timeline(plan, scenario)


def _timeline(plan: schema.Plan, scenario: schema.Scenario) -> list[Event]:
    names = _Names(plan)
    level = next((lv for lv in plan.levels if lv.id == scenario.level), None)
    events = [Event(0, "start", _("%(scenario)s starts at level %(level)s") % {
        "scenario": scenario.name, "level": level.name if level else scenario.level})]
    if level:
        text = _("lead: %(lead)s; notify: %(notify)s") % {
            "lead": names.actor(level.lead) if level.lead else "-",
            "notify": ", ".join(names.actor(n) for n in level.notify) or "-"}
        if level.notify and level.channels:
            text = _("%(text)s (by %(channels)s)") % {"text": text, "channels": names.channels(level.channels)}
        events.append(Event(0, "level", text))
    events += [Event(0, "duty_card", names.card(card)) for card in scenario.duty_cards]
    events += [Event(0, "notice", _("suggested: %(title)s") % {"title": names.notice(n)}) for n in scenario.notices]
    chase = _minutes(plan.escalation.renotify_after or OVERDUE_COMMANDER_AFTER)
    for step in scenario.steps:
        words = {"title": step.title, "owner": names.actor(step.owner) if step.owner else _("no owner")}
        if step.due:
            due = _minutes(step.due)
            events.append(Event(due, "step", _("%(title)s (%(owner)s)") % words))
            if due > 0:  # an immediate step's call is the page at the start; it is not chased
                events.append(Event(due, "overdue", _("%(title)s not done: page %(owner)s") % words))
                events.append(Event(due + chase, "overdue", _("%(title)s still not done: page the commander") % words))
        else:
            events.append(Event(0, "step", _("%(title)s (%(owner)s), no deadline") % words))
    for timer in scenario.timers:
        events.append(Event(_minutes(timer.after), "timer", _("%(action)s (%(unless)s)") % {
            "action": timer.action.text if timer.action else _("no action"), "unless": UNLESS[timer.unless]}))
    events += _escalation(plan.escalation, plan.language, names)
    return sorted(events, key=lambda e: e.minute)


def _escalation(escalation: schema.Escalation, language: str, names: "_Names") -> list[Event]:
    """Each hop of the chain is paged one ack timeout after the one before; then all again, repeatedly.
    The hops are named as the binder prints them (vocabulary.escalation_step_names)."""
    timeout = _minutes(escalation.ack_timeout)
    hops = escalation_step_names(names.command_centre)
    events = [Event(i * timeout, "page", _("page %(who)s until acknowledged") % {"who": hops[hop]})
              for i, hop in enumerate(escalation.chain)]
    if escalation.renotify_after and events:
        events.append(Event(events[-1].minute + _minutes(escalation.renotify_after), "renotify",
                            _("nobody acknowledged: page the whole chain again, every %(every)s") % {
                                "every": say_duration(escalation.renotify_after, language)}))
    return events


class _Names:
    """Titles for the ids a plan uses, in the plan's own words."""

    def __init__(self, plan: schema.Plan):
        self.actors = {g.id: g.name for g in plan.groups} | {r.id: r.title for r in plan.roles}
        self.cards = {c.id: c.department for c in plan.duty_cards}
        self.notices = {n.id: n.title for n in plan.notices}
        self.command_centre = next((g.name for g in plan.groups if g.kind == "command"), "")
        self.language = plan.language

    def actor(self, ident: str) -> str:
        return self.actors.get(ident, ident)

    def channels(self, channels) -> str:
        words = LABELS.get(self.language, LABELS["zh-hans"])
        return words["list_sep"].join(words["channel_names"].get(c.value, c.value) for c in channels)

    def card(self, ident: str) -> str:
        return _("duty card of %(department)s") % {"department": self.cards.get(ident, ident)}

    def notice(self, ident: str) -> str:
        return self.notices.get(ident, ident)

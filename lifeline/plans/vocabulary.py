"""The words a plan's reader meets both on paper and on screen, defined once.

At 3 a.m. the printed binder and the screens must say the same thing: the steps of the
escalation chain, the command centre, a timer's condition, an incident's scope, and the
labels of a plan's parts (a duty card's coordinator, what to keep for recovery …). Each is
one lazy message here, translated once in the catalog:

- the screens (plan pages, the simulation, the incident timeline and duty cards) say them
  in the reader's language: in Python through these dicts, in templates with
  `{% load plan_terms %}{% term "coordinator" colon=True %}`;
- the binder (printing.py) says them in the plan's language: `in_language(TERMS, "zh-hans")`.

Where a screen already had a message for a word, that message is used here, so the binder
now follows the screen. A word that only one of them prints stays where it is (the binder's
own headings and paper-form labels are printing.LABELS).
"""
from django.utils import translation
from django.utils.translation import gettext_lazy, pgettext_lazy

# The steps of the escalation chain (schema.Escalation.chain): who is paged in turn.
ESCALATION_STEPS = {
    "on_duty": pgettext_lazy("escalation step", "IT on duty"),
    "backup": gettext_lazy("backup on duty"),
    "group_lead": gettext_lazy("lead of the group on duty"),
    "command_centre": gettext_lazy("command centre"),
}
# The command centre with the name the plan gives it: 指挥中心（应急指挥部）.
COMMAND_CENTRE_NAMED = gettext_lazy("command centre (%(name)s)")

# A timer's condition (schema.Timer.unless).
UNLESS = {"resolved": gettext_lazy("unless resolved by then"),
          "acknowledged": gettext_lazy("unless acknowledged by then")}

# How far a fault reaches (schema.Scope); the same messages as the incident's scope field.
SCOPES = {"terminal": gettext_lazy("single terminal"),
          "region": gettext_lazy("region or department"),
          "whole": gettext_lazy("whole hospital")}

# Labels of a plan's parts, keyed as the binder's LABELS were.
TERMS = {
    # The translation owns the colon: 协调人：…, Coordinator: …
    "colon": pgettext_lazy("between a label and its value", ": "),
    "reports_to": gettext_lazy("Reports to"),
    "lead": gettext_lazy("Lead"),
    "owner": gettext_lazy("Owner"),
    "criteria": gettext_lazy("Criteria"),
    "scope": gettext_lazy("Scope"),
    "users_pct": gettext_lazy("Users affected"),
    "services": gettext_lazy("Services involved"),
    "respond": gettext_lazy("Respond"),
    "resolve": gettext_lazy("Resolve"),
    "notify": gettext_lazy("Notify"),
    "channels": gettext_lazy("Channels"),
    "actions": gettext_lazy("Actions"),
    "as_decided": gettext_lazy("as the command centre decides"),
    "category": gettext_lazy("Category"),
    "components": gettext_lazy("Affects"),
    "start_level": gettext_lazy("Starts at"),
    "cards_activated": gettext_lazy("Duty cards activated"),
    "risk": gettext_lazy("Risk"),
    "prevention": gettext_lazy("Prevention"),
    "triggers": gettext_lazy("Triggers"),
    "decision_tree": gettext_lazy("Decision tree"),
    "steps": gettext_lazy("Steps"),
    "step": gettext_lazy("Step"),
    "due": gettext_lazy("Due"),
    "phase": gettext_lazy("Phase"),
    "timers": gettext_lazy("Timers"),
    "switch_to": gettext_lazy("If it fails, switch to"),
    "coordinator": gettext_lazy("Coordinator"),
    "when": gettext_lazy("When"),
    "activated_by": gettext_lazy("Activated by"),
    "duties": gettext_lazy("Duties"),
    "keep_for_recovery": gettext_lazy("Keep for recovery"),
    "forms_used": gettext_lazy("Paper forms"),
}


def escalation_step_names(command_centre: str = "") -> dict[str, str]:
    """Each escalation step in words of the active language; the command centre with the
    name the plan gives it, when it has one."""
    names = {step: str(words) for step, words in ESCALATION_STEPS.items()}
    if command_centre:
        names["command_centre"] = str(COMMAND_CENTRE_NAMED) % {"name": command_centre}
    return names


def in_language(words: dict, language: str) -> dict[str, str]:
    """`words` said in `language` (a plan's language, e.g. for the binder)."""
    with translation.override(language):
        return {key: str(value) for key, value in words.items()}

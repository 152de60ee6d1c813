"""Levels (分级) and SLA: which level the facts suggest (classification), and the deadlines a
level or a problem category sets for an incident.

Reads the plan and the incident; changes nothing in the database (`set_deadlines` only sets
the attributes, its caller saves). Moving an incident to another level is lifecycle.set_level.
A leaf: imports only the models and the plan schema.
"""
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lifeline.core.errors import Refused
from lifeline.incidents.models import Incident
from lifeline.plans import schema


@dataclass
class Classification:
    level: str | None  # the suggested level id
    matched: list[str] = field(default_factory=list)  # why: the criteria that matched, in words
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
        return [_("services lost: %s") % pgettext("list separator", ", ").join(lost)]
    checks = []
    if criteria.scope and scope:
        checks.append((_("scope: %s") % _scope_words(scope), scope in {s.value for s in criteria.scope}))
    if criteria.users_pct is not None and users_pct is not None:
        checks.append((_("users affected: %s%%") % f"{users_pct:g}", criteria.users_pct.contains(users_pct)))
    if checks and all(ok for _label, ok in checks):
        return [label for label, _ok in checks]
    return []


def _scope_words(scope: str) -> str:
    return Incident.Scope(scope).label if scope in Incident.Scope.values else scope


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


def find_level(plan: schema.Plan, level_id: str, field_name="level") -> schema.Level:
    """The plan's level of that id; refuses (naming `field_name`) a level the plan does not have."""
    level = next((lv for lv in plan.levels if lv.id == level_id), None)
    if level is None:
        raise Refused(field_name, _("unknown level %(level)s; this plan has %(known)s")
                      % {"level": level_id, "known": ", ".join(lv.id for lv in plan.levels)})
    return level


def _sla(incident: Incident) -> schema.Sla:
    category = next((c for c in incident.plan.problem_categories if c.id == incident.category_id), None)
    return category.sla if category and category.sla else incident.level.sla


def responds_immediately(incident: Incident) -> bool:
    """An immediate response deadline is the escalation chain's own paging timeout: the chain
    pages the next person then, so no separate deadline timer pages anyone twice."""
    return _sla(incident).respond == "immediate"


def respond_within(plan: schema.Plan, respond: str) -> str:
    """The response time a plan's `respond` stands for. `immediate` is acknowledging within the
    plan's paging timeout (escalation.ack_timeout, default 5min: the time the first person paged
    has before the next one is paged), so the incident page, the fault analysis and the statistics
    all count an acknowledgement within it as in time (docs/plans.md)."""
    return plan.escalation.ack_timeout if respond == "immediate" else respond


def set_deadlines(incident: Incident):
    """respond_by and resolve_by from the problem category's SLA, else the level's (not saved)."""
    sla = _sla(incident)
    incident.respond_by = (schema.deadline_after(incident.opened_at, respond_within(incident.plan, sla.respond))
                           if sla.respond else None)
    incident.resolve_by = schema.deadline_after(incident.opened_at, sla.resolve) if sla.resolve else None

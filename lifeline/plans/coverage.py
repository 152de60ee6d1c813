"""The roles a plan pages, and those no duty roster covers.

A plan pages: each level's lead (else the command group's lead), the roles its levels' `notify`
name (a group: its lead, or each of its roles when it has none), the escalation chain's group
lead above each level's lead and the command centre, and its checklist steps' owners (a group:
its lead). With nobody on duty in such a role the incident says "无人值班，无法呼叫": `lifeline
plan check --roster` and the plan page warn about it before an incident does.
"""
from dataclasses import dataclass, field

from lifeline.core import rosters
from lifeline.plans import schema


@dataclass
class Paged:
    role: str
    title: str
    why: list[str] = field(default_factory=list)


def _group_roles(plan: schema.Plan, ident: str) -> list[str]:
    group = next((g for g in plan.groups if g.id == ident), None)
    if group is None:
        return [ident]
    if group.lead:
        return [group.lead]
    return [r.id for r in plan.roles if r.group == group.id] or [ident]


def _group_lead_above(plan: schema.Plan, lead: str) -> str | None:
    role = next((r for r in plan.roles if r.id == lead), None)
    group = next((g for g in plan.groups if role and g.id == role.group), None)
    while group is not None:
        if group.lead and group.lead != lead:
            return group.lead
        group = next((g for g in plan.groups if g.id == group.parent), None)
    return None


def paged_roles(plan: schema.Plan) -> list[Paged]:
    """Every role the plan pages, with what pages it (level ids, step ids), in plan order."""
    found: dict[str, Paged] = {}
    titles = {r.id: r.title for r in plan.roles}

    def add(role, why):
        if role:
            entry = found.setdefault(role, Paged(role, titles.get(role, role)))
            if why not in entry.why:
                entry.why.append(why)

    command_lead = next((g.lead for g in plan.groups if g.kind == "command" and g.lead), None)
    if "command_centre" in plan.escalation.chain:
        add(command_lead, "escalation: command_centre")
    for level in plan.levels:
        lead = level.lead or command_lead
        add(lead, f"levels.{level.id}.lead")
        for ident in level.notify:
            for role in _group_roles(plan, ident):
                add(role, f"levels.{level.id}.notify")
        if "group_lead" in plan.escalation.chain and lead:
            add(_group_lead_above(plan, lead), f"levels.{level.id}: escalation group_lead")
    for scenario in plan.scenarios:
        for step in scenario.steps:
            if step.owner:
                for role in _group_roles(plan, step.owner)[:1]:
                    add(role, f"scenarios.{scenario.id}.steps.{step.id}.owner")
    return list(found.values())


def uncovered(plan: schema.Plan, covered: set[str] | None = None) -> list[Paged]:
    """The roles the plan pages that no roster covers (by default the rosters in the database)."""
    covered = rosters.covered() if covered is None else covered
    return [paged for paged in paged_roles(plan) if paged.role not in covered]

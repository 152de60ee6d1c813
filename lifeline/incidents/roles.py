"""Who takes an incident's plan roles: the role that leads it, who is on duty for a role now,
who holds a role in the incident. Read-only: giving a role to someone is lifecycle.assign.

(These are the plan's roles, 角色 of the 预案, e.g. duty_it or comms_lead, held by members of
the organisation; the logins' roles are lifeline.accounts.roles.) A leaf: imports only the
models and the people app's roster queries.
"""
from lifeline.core import clock
from lifeline.incidents.models import Incident
from lifeline.people import services as people
from lifeline.people.models import DutyKind, Member


def lead_role(incident: Incident) -> str | None:
    """The plan role that leads the incident: its level's lead, else the command group's lead."""
    if incident.level and incident.level.lead:
        return incident.level.lead
    return next((g.lead for g in incident.plan.groups if g.kind == "command" and g.lead), None)


def find_member(role: str | None, skills=()) -> Member | None:
    """Who takes a plan role now: its primary on duty, its backup, else the fastest with its skills."""
    if not role:
        return None
    at = clock.now()
    member = people.on_duty(role, at) or people.on_duty(role, at, DutyKind.BACKUP)
    if member is None and skills:
        ranked = people.fastest(skill=skills[0], at=at)
        member = ranked[0][0] if ranked else None
    return member


def holder(incident: Incident, role: str) -> Member | None:
    found = incident.assignments.filter(role=role, ends_at__isnull=True).select_related("member").first()
    return found.member if found else None

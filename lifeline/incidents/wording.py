"""The plan's words for an incident: the titles of its roles and groups, and its language.

An incident is written about (timeline, pages, messages) once, in the language of the plan it
follows, naming roles as the plan titles them (指挥中心, not `command_centre`).

Invariant: imports no other incidents module, not even the models, so the models themselves
can use it (an assignment's title). Both helpers only read `incident.plan`.
"""
from django.conf import settings
from django.utils import translation


def role_title(incident, role: str | None) -> str:
    """A plan role or group id (or several, comma-separated) as the plan names it."""
    plan = incident.plan
    titles = {r.id: r.title for r in plan.roles} | {g.id: g.name for g in plan.groups}
    return "、".join(titles.get(r, r) for r in role.split(",")) if role else "-"


def in_plan_language(incident):
    """Timeline and messages are written once, in the language of the plan the incident follows."""
    return translation.override(incident.plan.language or settings.LANGUAGE_CODE)

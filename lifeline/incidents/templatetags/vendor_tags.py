"""`{% incident_vendors incident as vendors %}`: the incident page's vendor section (its plan's
vendor roles and their committed repair times), kept beside the vendors module."""
from django import template

from lifeline.core import clock
from lifeline.incidents.tracking import vendor_roles

register = template.Library()


@register.simple_tag
def incident_vendors(incident) -> dict | None:
    """None when the incident's plan marks no vendor role."""
    roles = vendor_roles(incident.plan)
    if not roles:
        return None
    now = clock.now()
    return {"roles": list(roles.items()), "now": now,
            "commitments": [{"commitment": c, "vendor": roles.get(c.role, c.role),
                             "overdue": incident.is_open and c.repair_by <= now}
                            for c in incident.commitments.select_related("recorded_by")]}

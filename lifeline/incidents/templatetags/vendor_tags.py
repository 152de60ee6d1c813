"""`{% incident_vendors incident as vendors %}`: the incident page's vendor section (its plan's
vendor roles and their committed repair times), kept beside the vendors module."""
from datetime import timedelta

from django import template
from django.utils import timezone

from lifeline.core import clock
from lifeline.incidents.models import ChecklistItem
from lifeline.incidents.tracking import vendor_roles

# The picker's suggested committed repair time: about this far ahead, on the hour.
SUGGESTED_AHEAD = timedelta(hours=5)

register = template.Library()


@register.simple_tag
def incident_vendors(incident) -> dict | None:
    """None when the incident's plan marks no vendor role."""
    roles = vendor_roles(incident.plan)
    if not roles:
        return None
    now = clock.now()
    # The vendors already on the incident come first in the picker: the one to record is likely among them.
    involved = set(incident.assignments.filter(ends_at__isnull=True).values_list("role", flat=True))
    involved |= set(incident.commitments.values_list("role", flat=True))
    involved |= set(incident.checklist.filter(status=ChecklistItem.Status.OPEN).values_list("owner_role", flat=True))
    ordered = sorted(roles.items(), key=lambda pair: pair[0] not in involved)
    return {"roles": ordered, "now": now,
            "suggested": timezone.localtime(now + SUGGESTED_AHEAD).replace(minute=0).strftime("%Y-%m-%dT%H:%M"),
            "commitments": [{"commitment": c, "vendor": roles.get(c.role, c.role),
                             "overdue": incident.is_open and c.repair_by <= now}
                            for c in incident.commitments.select_related("recorded_by")]}

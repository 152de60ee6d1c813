"""The command dashboard shows in red when the working-day calendar cannot be trusted for open
incidents: their deadlines run into a year the calendar does not know (counted Monday to Friday,
see lifeline/core/workdays.py), or the hospital's workdays file cannot be used. Registered with
lifeline.incidents.attention in SiteConfig.ready()."""
from django.urls import reverse
from django.utils.translation import gettext as _

from lifeline.core import workdays
from lifeline.incidents import attention
from lifeline.incidents.models import Incident


def items() -> list[attention.Item]:
    kind = _("Working-day calendar")
    hospital = workdays.hospital_days()
    found = [attention.Item(kind=kind, title=problem) for problem in workdays.problems() if hospital.problem]
    years, affected = set(), []
    for incident in Incident.objects.open().exclude(resolve_by=None, respond_by=None).order_by("opened_at"):
        deadline = max(d for d in (incident.respond_by, incident.resolve_by) if d)
        unknown = workdays.unknown_years(incident.opened_at, deadline)
        if unknown:
            years.update(unknown)
            affected.append(incident)
    if affected:
        found.append(attention.Item(
            kind=kind, title=workdays.unknown_years_text(years),
            why=_("Deadlines of %(incidents)s") % {"incidents": ", ".join(f"#{i.pk} {i.title}" for i in affected)},
            url=reverse("incidents:detail", args=[affected[0].pk]), since=affected[0].opened_at))
    return found


def connect():
    attention.add("workday_calendar", items)

"""Declaring a mode to the stations for an incident (宣布应急 from its page, or `incident` in the API).

    incident = declaring.incident(incident_id)      # core.incident_links.Described; Refused if none or over
    declaring.declare(mode, user, now, station_ids, incident)

Invariant: a declaration for an incident names it in each station's mode_declared_by (so in the
audit entry, and in the event the station writes when it hears it) and on the incident's
timeline, in the same transaction as the stations' change.
"""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lifeline.core import incident_links
from lifeline.core.errors import Refused
from lifeline.stations import registry
from lifeline.stations.models import Station


def incident(incident_id) -> incident_links.Described:
    """The open incident `incident_id`; Refused naming `incident` (404 none, 409 over)."""
    found = incident_links.describe(incident_id)
    if found is None:
        raise Refused.not_found("incident", _("No incident %(id)s") % {"id": incident_id})
    if not found.open:
        raise Refused("incident", _("%(incident)s is over: declare from an open incident") % {
            "incident": found.reference}, status=409)
    return found


def declare(mode: str, user, now, station_ids: list[int] | None = None,
            incident: incident_links.Described | None = None) -> list[Station]:
    """registry.declare by `user`, for `incident` when given. ValidationError as registry.declare."""
    by = user.get_username() + (f" · {incident.reference}" if incident else "")
    declared = registry.declare(mode, by=by, now=now, station_ids=station_ids)
    if incident:
        incident.record(gettext_noop("%(mode)s declared to %(count)d emergency workstations (%(stations)s); each "
                                     "puts it in force on its next contact with the server"), {
            "mode": Station.Mode(mode).label, "count": len(declared),
            "stations": "、".join(s.name for s in declared)}, user)
    return declared

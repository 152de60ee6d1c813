"""Locking an incident before changing it, and refusing to change one that is over.

Lock order, to stay free of deadlocks: a person's action locks the incident first (`locked`),
then touches pending timers only with SKIP LOCKED; a worker firing a timer locks the timer,
then the incident (see firing.py). `locked` only holds inside a transaction: every action
that calls it is atomic. A leaf: imports only the models and the one domain error.
"""
from django.utils.translation import gettext as _

from lifeline.core.errors import Refused
from lifeline.incidents.models import Incident


def locked(incident: Incident) -> Incident:
    """The incident's row, locked until the transaction ends, as it is now in the database."""
    return Incident.objects.select_for_update().select_related("plan_version").get(pk=incident.pk)


def require_open(incident: Incident):
    if not incident.is_open:
        raise Refused("status", _("the incident is %(status)s; nothing more can be done to it")
                      % {"status": incident.get_status_display()})

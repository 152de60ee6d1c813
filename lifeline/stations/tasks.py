from django.db import close_old_connections

from lifeline.core.worker import job
from lifeline.stations import registry


@job(every=60)
def report_stale_stations(now):
    """Raise the alarm of each reachable station whose data is stale (registry.report_stale)."""
    close_old_connections()
    registry.report_stale(now)

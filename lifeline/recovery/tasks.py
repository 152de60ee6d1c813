from django.db import close_old_connections

from lifeline.core.worker import job
from lifeline.recovery import sendback


@job(every=60)
def report_silent_stations(now):
    """Raise the alarm of each station in downtime that has stopped sending (sendback.report_silent)."""
    close_old_connections()
    sendback.report_silent(now)

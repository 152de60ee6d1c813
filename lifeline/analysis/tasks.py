from django.db import close_old_connections

from lifeline.analysis import overdue
from lifeline.core.worker import job, worker_name


@job(every=60)
def page_overdue_follow_ups(now):
    """Page the owner of each follow-up past its due date, then the commander (once each)."""
    close_old_connections()
    overdue.page_overdue(now, worker_name())

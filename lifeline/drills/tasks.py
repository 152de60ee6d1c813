from django.db import close_old_connections

from lifeline.core.worker import job
from lifeline.drills import schedules, services


@job(every=5)
def undo_faults(now):
    """Lab faults whose drill is over are undone, even if the worker restarted meanwhile."""
    close_old_connections()
    services.undo_due(now)


@job(every=300)
def plan_and_remind(now):
    """Monthly and yearly drills planned ahead, with their reminders."""
    close_old_connections()
    schedules.plan_next(now)
    schedules.remind_due(now)

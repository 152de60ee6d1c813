from django.db import close_old_connections

from lifeline.core.worker import job, worker_name
from lifeline.incidents import firing


@job(every=1)
def fire_due_timers(now):
    """Fire the incidents' due timers (plan timers, SLA deadlines, escalation, reminders)."""
    close_old_connections()
    firing.fire_due_timers(now, worker_name())

from django.db import close_old_connections

from lifeline.core.worker import job, worker_name
from lifeline.incidents import firing, vendors


@job(every=1)
def fire_due_timers(now):
    """Fire the incidents' due timers (plan timers, SLA deadlines, escalation, reminders)."""
    close_old_connections()
    firing.fire_due_timers(now, worker_name())


@job(every=15)
def notify_overdue_commitments(now):
    """Tell the vendor's contact and the commander when a vendor's committed repair time has
    passed with the incident still open (once per commitment)."""
    close_old_connections()
    vendors.notify_overdue(now, worker_name())

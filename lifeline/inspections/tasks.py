from django.db import close_old_connections

from lifeline.core.worker import job
from lifeline.inspections import parts, services


@job(every=60)
def open_and_alarm_rounds(now):
    """Open each active checklist's round for the current period; alarm rounds past their due time."""
    close_old_connections()
    services.current_rounds(now)
    services.alarm_overdue(now)


@job(every=3600)
def alarm_low_stock(now):
    """Spare parts below their minimum keep their alarm firing (an imported stock-take included)."""
    close_old_connections()
    parts.check_all_stock()

from django.db import close_old_connections

from lifeline.core.worker import job
from lifeline.notify.delivery import Dispatcher

dispatcher = Dispatcher()


@job(every=1)
def deliver_outbox(now):
    """Send the incidents' outbox: due deliveries start, answers of earlier sends are recorded."""
    close_old_connections()
    dispatcher.run(now)

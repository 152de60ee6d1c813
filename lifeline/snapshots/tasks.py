import threading

from django.db import close_old_connections, connection

from lifeline.core.actor import acting_as
from lifeline.core.worker import job
from lifeline.snapshots import services


@job(every=30)
def build_due_snapshot(now):
    """Start the snapshot build that is due (an incremental every N minutes, a full one nightly)
    on a thread: a build takes up to a minute and the other jobs (timers) must not wait for it."""
    close_old_connections()
    if services.due_build(now) is None:
        return None
    thread = threading.Thread(target=_build, args=(now,), name="snapshot-build", daemon=True)
    thread.start()
    return thread


def _build(now):
    try:
        with acting_as("worker"):
            services.run_due_build(now)
    finally:
        connection.close()


@job(every=60)
def report_snapshot_freshness(now):
    """Raise the stale-snapshot alert while the newest package is older than the threshold."""
    close_old_connections()
    if services.freshness(now).configured:
        services.report_freshness(now)

"""The worker's backup jobs: check every job's evidence, and run the restore tests that are due."""
import threading

from django.db import close_old_connections, connection

from lifeline.backups import evidence, restore, services
from lifeline.core.actor import acting_as
from lifeline.core.worker import job


@job(every=300)
def check_backups(now):
    """Scan destinations and read heartbeats; a missed or shrunken backup raises its alert."""
    close_old_connections()
    evidence.check_all(now)


@job(every=300)
def abandon_stale_restore_runs(now):
    """A restore whose worker stopped shows as failed, not as running for ever."""
    close_old_connections()
    services.abandon_stale_runs(now)


@job(every=60)
def run_due_restore_test(now):
    """Start the restore test that is due on a thread: a restore takes minutes to hours, and the
    other jobs (timers) must not wait for it. The claim moved its next time on already."""
    close_old_connections()
    run = services.claim_due_test(now)
    if run is None:
        return None
    thread = threading.Thread(target=_execute, args=(run,), name="restore-test", daemon=True)
    thread.start()
    return thread


def _execute(run):
    try:
        with acting_as("worker"):
            restore.execute(run)
    finally:
        connection.close()

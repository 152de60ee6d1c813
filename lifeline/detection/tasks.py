from django.db import close_old_connections

from lifeline.core.worker import job, worker_name
from lifeline.detection.probes import history, scheduler


@job(every=1)
def run_probes(now):
    """Start the due probes (each at its own interval; the checks run in the probe threads)."""
    close_old_connections()
    scheduler.runner.tick(now, worker_name())


@job(every=300)
def keep_probe_history(now):
    """Roll finished hours and days of readings up, then prune what is past keeping."""
    close_old_connections()
    history.keep(now)

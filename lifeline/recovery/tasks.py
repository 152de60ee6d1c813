"""The recovery app's worker jobs: merge runs queued on the merge-back page, carried out one at a time
per worker on a thread (a merge takes minutes; the timers must not wait for it), and the alarm of
stations that stopped sending."""
import threading

from django.db import close_old_connections, connection, transaction

from lifeline.core.actor import acting_as
from lifeline.core.worker import job, worker_name
from lifeline.recovery import merging, sendback
from lifeline.recovery.models import MergeRun


@job(every=3)
def run_queued_merge(now):
    """Fail the runs nobody carries out any more (merging.reap: a worker killed mid-run), then
    claim the queued run (SKIP LOCKED: two workers never take the same one) and start it."""
    close_old_connections()
    merging.reap(now)
    with transaction.atomic():
        claimed = MergeRun.objects.select_for_update(skip_locked=True).filter(state=MergeRun.State.QUEUED) \
            .order_by("id").first()
        if claimed is None:
            return None
        claimed.state, claimed.worker, claimed.heartbeat_at = MergeRun.State.RUNNING, worker_name(), now
        claimed.save(update_fields=["state", "worker", "heartbeat_at"])
    thread = threading.Thread(target=_run, args=(claimed, now), name=f"merge-run-{claimed.pk}", daemon=True)
    thread.start()
    return thread


@job(every=60)
def report_silent_stations(now):
    """Raise the alarm of each station in downtime that has stopped sending (sendback.report_silent)."""
    close_old_connections()
    sendback.report_silent(now)


def _run(merge_run: MergeRun, now):
    try:
        with acting_as(merge_run.started_by or "worker"):
            merging.run(merge_run.started_by, now, dry_run=merge_run.dry_run, merge_run=merge_run)
    finally:
        connection.close()

from django.db import close_old_connections

from lifeline.core.models import WorkerBeat
from lifeline.core.worker import job, worker_name


@job(every=10)
def heartbeat(now):
    """Tell /healthz this worker is alive."""
    close_old_connections()
    beat, created = WorkerBeat.objects.get_or_create(
        name=worker_name(), defaults={"started_at": now, "seen_at": now}
    )
    if not created:
        WorkerBeat.objects.filter(pk=beat.pk).update(seen_at=now)

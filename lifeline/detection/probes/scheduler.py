"""Running the probes in `lifeline worker`: each at its own interval, on a fixed grid.

Every second the worker claims the due probes (next_due_at passed, no live lease) with
SELECT … FOR UPDATE SKIP LOCKED, moves each one's next_due_at a whole interval along its grid
(skipping slots missed while nobody ran it, so a slow check never pushes later ones back) and
gives it a lease for its timeout. The checks then run in a bounded thread pool, so a slow probe
delays no other; a probe still running (here or in another worker, by its lease) is not started
again. Each reading is stored once per slot (rules.record), so several workers and restarts
neither lose nor double readings.
"""
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from datetime import datetime, timedelta

from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from lifeline.detection.models import Probe
from lifeline.detection.probes import checks, config, rules
from lifeline.detection.probes.reading import Reading

log = logging.getLogger("lifeline.detection.probes")

THREADS = 8
# A lease outlives the check's timeout by this much before another worker may take the probe.
LEASE_GRACE = timedelta(seconds=30)


def slot_for(probe: Probe, now: datetime) -> datetime:
    """The latest slot of the probe's grid that is due (the first one is now)."""
    if probe.next_due_at is None:
        return now.replace(microsecond=0)
    interval = timedelta(seconds=probe.interval_seconds)
    return probe.next_due_at + (now - probe.next_due_at) // interval * interval


def claim_due(now: datetime, worker: str, limit: int, busy=()) -> list[tuple[int, datetime]]:
    """Claim up to `limit` due probes; returns (probe id, slot) for each."""
    with transaction.atomic():
        due = list(Probe.objects.select_for_update(skip_locked=True)
                   .filter(enabled=True)
                   .filter(Q(next_due_at__isnull=True) | Q(next_due_at__lte=now))
                   .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
                   .exclude(pk__in=list(busy))
                   .order_by(F("next_due_at").asc(nulls_first=True), "pk")[:limit])
        claims = []
        for probe in due:
            slot = slot_for(probe, now)
            probe.next_due_at = slot + timedelta(seconds=probe.interval_seconds)
            probe.lease_until = now + timedelta(seconds=probe.timeout_seconds) + LEASE_GRACE
            probe.leased_by = worker[:100]
            claims.append((probe.pk, slot))
        Probe.objects.bulk_update(due, ["next_due_at", "lease_until", "leased_by"])
    return claims


def run_one(probe_id: int, slot: datetime, worker: str) -> Probe | None:
    """Check the probe for its slot, record the reading and give the lease back."""
    try:
        probe = Probe.objects.get(pk=probe_id)
        try:
            reading = checks.check(probe, slot)
        except config.ConfigInvalid as invalid:
            reading = Reading(False, error=_("settings: %(problems)s") % {"problems": invalid})
        except Exception as exc:  # a bug in a check must show on the probe, not stop the others
            log.exception("probe %s: the check crashed", probe_id)
            reading = Reading(False, error=_("the check crashed: %(error)r") % {"error": exc})
        return rules.record(probe_id, slot, reading)
    finally:
        Probe.objects.filter(pk=probe_id, leased_by=worker[:100]).update(lease_until=None, leased_by="")


class Runner:
    """A bounded pool of threads running the claimed probes of this worker process."""

    def __init__(self, threads: int = THREADS):
        self.threads = threads
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="probe")
        self.running: dict[int, Future] = {}
        self.lock = threading.Lock()

    def tick(self, now: datetime, worker: str) -> list[Future]:
        """Start the due probes this process has room for."""
        with self.lock:
            self.running = {pk: f for pk, f in self.running.items() if not f.done()}
            room, busy = self.threads - len(self.running), list(self.running)
        if room <= 0:
            return []
        started = []
        for probe_id, slot in claim_due(now, worker, room, busy):
            future = self.pool.submit(self._run, probe_id, slot, worker)
            with self.lock:
                self.running[probe_id] = future
            started.append(future)
        return started

    @staticmethod
    def _run(probe_id: int, slot: datetime, worker: str) -> Probe | None:
        # Each pool thread has its own database connection: fresh for the check, closed after it.
        close_old_connections()
        try:
            return run_one(probe_id, slot, worker)
        finally:
            close_old_connections()

    def wait(self, timeout: float | None = None):
        """Until the checks under way are done (tests, and a worker stopping)."""
        with self.lock:
            futures = list(self.running.values())
        wait_for(futures, timeout)


runner = Runner()

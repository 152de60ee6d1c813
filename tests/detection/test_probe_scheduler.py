"""Scheduling: each probe on its own fixed grid (missed slots skipped, no drift), a lease so no
two workers run a probe at once, a slow probe delaying no other, nothing lost over a restart."""
import threading
from datetime import timedelta

import pytest

from lifeline.core import clock as lifeline_clock
from lifeline.detection.models import Probe, ProbeResult
from lifeline.detection.probes import scheduler
from tests.detection.alerting import t0  # noqa: F401
from tests.detection.probe_servers import make_probe, serve


def slots(probe, t0):
    return [(at - t0).total_seconds() for at in
            ProbeResult.objects.filter(probe=probe).order_by("at").values_list("at", flat=True)]


def run_claims(claims, worker="w1"):
    for probe_id, slot in claims:
        scheduler.run_one(probe_id, slot, worker)


@pytest.mark.django_db
def test_each_probe_keeps_its_own_grid_and_skips_missed_slots(t0, clock):
    fast = make_probe("fast", interval_seconds=5)
    slow = make_probe("slow", interval_seconds=60)
    run_claims(scheduler.claim_due(t0, "w1", 10))
    for seconds in (3, 7, 23, 24, 61):
        run_claims(scheduler.claim_due(clock.freeze(t0 + timedelta(seconds=seconds, milliseconds=400)), "w1", 10))
    # Slots stay on the grid (t0 + 5k), whenever the worker came round; 10 and 15 were missed.
    assert slots(fast, t0) == [0, 5, 20, 60]
    assert slots(slow, t0) == [0, 60]
    fast.refresh_from_db()
    assert fast.next_due_at == t0 + timedelta(seconds=65) and fast.lease_until is None


@pytest.mark.django_db
def test_a_leased_probe_is_not_claimed_by_another_worker_until_its_lease_runs_out(t0, clock):
    probe = make_probe("his", interval_seconds=5, timeout_seconds=5)
    [(probe_id, first)] = scheduler.claim_due(t0, "worker-a", 10)
    # Worker a is still checking (or died): b may not take the probe for its next slot ...
    assert scheduler.claim_due(t0 + timedelta(seconds=5), "worker-b", 10) == []
    # ... until the lease (timeout + grace) has run out.
    later = t0 + timedelta(seconds=5) + scheduler.LEASE_GRACE
    [(_, slot_b)] = scheduler.claim_due(later, "worker-b", 10)
    assert slot_b == t0 + timedelta(seconds=35)
    # a finishes late: its reading is kept for its own slot, and b's lease stays b's.
    scheduler.run_one(probe_id, first, "worker-a")
    probe.refresh_from_db()
    assert probe.leased_by == "worker-b"
    scheduler.run_one(probe_id, slot_b, "worker-b")
    assert slots(probe, t0) == [0, 35]


@pytest.mark.django_db
def test_a_restarted_worker_continues_the_grid(t0, clock):
    probe = make_probe("his", interval_seconds=10)
    run_claims(scheduler.claim_due(t0, "before-restart", 10), "before-restart")
    # A new process: its Runner knows nothing; the probe's next slot is in the database.
    assert scheduler.claim_due(t0 + timedelta(seconds=9), "after-restart", 10) == []
    run_claims(scheduler.claim_due(t0 + timedelta(seconds=10), "after-restart", 10), "after-restart")
    assert slots(probe, t0) == [0, 10]


@pytest.mark.django_db
def test_disabled_probes_are_not_run(t0):
    make_probe("off", enabled=False)
    assert scheduler.claim_due(t0, "w1", 10) == []


@pytest.mark.django_db(transaction=True)
def test_a_slow_probe_delays_no_other_and_is_not_started_twice(clock):
    t0 = lifeline_clock.freeze(lifeline_clock.now().replace(microsecond=0))
    release = threading.Event()

    def stuck(request):
        release.wait(10)  # a hung target, released by the test
        return 200, b"late", {}

    with serve({("GET", "/slow"): stuck, ("GET", "/fast"): lambda request: (200, b"ok", {})}) as site:
        slow = make_probe("slow", config={"url": site.url + "/slow"}, timeout_seconds=5)
        fast = make_probe("fast", config={"url": site.url + "/fast"}, timeout_seconds=5)
        runner = scheduler.Runner(threads=4)
        try:
            first = {f.result(timeout=5).name for f in runner.tick(t0, "w1") if f is not runner.running[slow.pk]}
            assert first == {"fast"}
            for seconds in (5, 10):  # the fast probe runs each slot while the slow one hangs
                lifeline_clock.freeze(t0 + timedelta(seconds=seconds))
                started = runner.tick(lifeline_clock.now(), "w1")
                assert [f.result().name for f in started] == ["fast"]
            assert not runner.running[slow.pk].done()
            release.set()
            runner.wait(10)
        finally:
            release.set()
            runner.pool.shutdown(wait=True)
    assert slots(fast, t0) == [0, 5, 10]
    assert slots(slow, t0) == [0]
    slow.refresh_from_db()
    assert slow.state == Probe.State.UP and slow.lease_until is None

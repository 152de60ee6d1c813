"""History: raw readings kept 48 h, hourly and daily rollups a year; the worker job rolls up,
then prunes only what is rolled up, so a year of 5 s checks stays small."""
from datetime import timedelta

import pytest

from lifeline.detection.models import ProbeResult, ProbeRollup
from lifeline.detection.probes import history
from tests.detection.alerting import t0  # noqa: F401
from tests.detection.probe_servers import make_probe

pytestmark = pytest.mark.django_db
PER_HOUR = 720  # one reading every 5 s


def fill(probe, start, hours, failing_hour=None):
    """A reading every 5 s; latencies 1..80 ms in turn (9 times each an hour); every reading of `failing_hour` fails."""
    rows = []
    for i in range(hours * PER_HOUR):
        at = start + timedelta(seconds=5 * i)
        rows.append(ProbeResult(probe=probe, at=at, ok=i // PER_HOUR != failing_hour, latency_ms=i % 80 + 1))
    ProbeResult.objects.bulk_create(rows, batch_size=5000)


def test_hours_and_days_roll_up_and_raw_readings_are_pruned_after_48_hours(t0, clock):
    probe = make_probe("挂号服务")
    fill(probe, t0, 72, failing_hour=1)  # 09:00 on 22 Nov (Shanghai) to 09:00 on 25 Nov
    clock.freeze(t0 + timedelta(hours=72, minutes=10))
    while history.roll_up(clock.now()):  # the job every 5 minutes; at most 2 days per run
        pass
    hours = ProbeRollup.objects.filter(probe=probe, period="hour").order_by("start")
    assert hours.count() == 72 and {h.count for h in hours} == {PER_HOUR}
    second = hours[1]
    assert (second.start, second.failures) == (t0 + timedelta(hours=1), PER_HOUR)
    assert (hours[0].failures, hours[0].latency_max_ms, hours[0].latency_p95_ms) == (0, 80, 76)
    assert hours[0].latency_avg_ms == pytest.approx(40.5)
    # Days in the hospital's zone: the 22nd from 09:00 (15 hours), the 23rd and 24th whole; the 25th goes on.
    days = ProbeRollup.objects.filter(probe=probe, period="day").order_by("start")
    assert [(d.start.isoformat(), d.count, d.failures) for d in days] == [
        ("2026-11-21T16:00:00+00:00", 15 * PER_HOUR, PER_HOUR),
        ("2026-11-22T16:00:00+00:00", 24 * PER_HOUR, 0),
        ("2026-11-23T16:00:00+00:00", 24 * PER_HOUR, 0)]

    history.keep(clock.now())
    oldest = ProbeResult.objects.order_by("at").first().at
    assert oldest == t0 + timedelta(hours=24, minutes=10)  # 48 h before 09:10 on the 25th
    assert ProbeResult.objects.count() == 48 * PER_HOUR - 10 * 12


def test_readings_not_rolled_up_are_never_pruned(t0, clock):
    probe = make_probe("医保接口")
    fill(probe, t0, 3)
    clock.freeze(t0 + timedelta(days=3))
    history.prune(clock.now())  # no rollup has run: the readings are all that is known
    assert ProbeResult.objects.count() == 3 * PER_HOUR


def test_a_year_of_five_second_checks_stays_small(t0, clock):
    """Two hours of readings every 50 days, the job run daily over 400 days: what is kept."""
    probe = make_probe("挂号服务")
    for day in range(400):
        if day % 50 == 0:
            fill(probe, t0 + timedelta(days=day), 2)
        clock.freeze(t0 + timedelta(days=day, hours=23))
        history.keep(clock.now())
    # Raw: only the last 48 h; rollups: at most a year of hours and days.
    assert ProbeResult.objects.filter(at__lt=clock.now() - history.RAW_KEPT).count() == 0
    oldest = ProbeRollup.objects.order_by("start").first().start
    assert oldest >= clock.now() - history.ROLLUPS_KEPT
    # Two hours on each of days 50, 100 … 350; day 0 is more than a year before day 399.
    assert ProbeRollup.objects.filter(period="hour").count() == 2 * 7
    assert ProbeRollup.objects.filter(period="day").count() == 7


def test_hourly_merges_rollups_with_hours_not_rolled_up_yet(t0, clock):
    probe = make_probe("挂号服务")
    fill(probe, t0, 3, failing_hour=2)
    clock.freeze(t0 + timedelta(hours=2, minutes=10))
    history.roll_up(clock.now())  # hours 0 and 1 rolled up; hour 2 still raw
    probe.refresh_from_db()
    assert probe.rolled_until == t0 + timedelta(hours=2)
    summaries = history.hourly(probe, t0, t0 + timedelta(hours=3))
    assert [(s.start - t0, s.count, s.uptime) for s in summaries] == [
        (timedelta(hours=0), PER_HOUR, 100), (timedelta(hours=1), PER_HOUR, 100), (timedelta(hours=2), PER_HOUR, 0)]
    assert history.uptime(t0) == {probe.pk: pytest.approx(200 / 3)}

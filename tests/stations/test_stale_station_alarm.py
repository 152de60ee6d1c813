"""A station in contact with the server whose data is stale (or which holds none) raises an
alert; a fresh one, a revoked one and one out of contact do not; the alert resolves once the
station is fresh again."""
from datetime import timedelta

import pytest

from lifeline.core import clock, worker
from lifeline.detection.models import Alert
from lifeline.stations import registry
from lifeline.stations.models import Station

pytestmark = pytest.mark.django_db


def place(name, now, *, seen_ago, age):
    station = registry.create(name=name, department="门诊收费")[0]
    Station.objects.filter(pk=station.pk).update(
        last_seen_at=now - timedelta(minutes=seen_ago),
        package_built_at=None if age is None else now - timedelta(minutes=age))
    return station


def test_a_reachable_station_with_stale_data_raises_an_alert_that_resolves_when_fresh(settings):
    settings.SNAPSHOT_STALE_MINUTES = 60
    now = clock.now()
    stale = place("收费-01", now, seen_ago=1, age=90)
    place("收费-02", now, seen_ago=1, age=20)  # fresh
    place("收费-03", now, seen_ago=60, age=600)  # switched off: not reachable
    empty = place("收费-04", now, seen_ago=1, age=None)
    gone = place("收费-05", now, seen_ago=1, age=600)
    registry.revoke(gone, now)

    firing = registry.report_stale(now)
    assert sorted(s.station.name for s in firing) == ["收费-01", "收费-04"]
    alerts = {a.fingerprint: a for a in Alert.objects.filter(source=registry.ALARM_SOURCE)}
    assert set(alerts) == {f"station-{stale.pk}-stale", f"station-{empty.pk}-stale"}
    assert all(a.status == "firing" for a in alerts.values())
    assert "收费-01" in alerts[f"station-{stale.pk}-stale"].summary

    Station.objects.filter(pk=stale.pk).update(package_built_at=now)
    registry.report_stale(now + timedelta(minutes=1))
    assert Alert.objects.get(fingerprint=f"station-{stale.pk}-stale").status == "resolved"
    assert Alert.objects.get(fingerprint=f"station-{empty.pk}-stale").status == "firing"


def test_the_worker_reports_stale_stations_every_minute():
    jobs = {job.name: job for job in worker.discover()}
    assert jobs["lifeline.stations.tasks.report_stale_stations"].every == 60

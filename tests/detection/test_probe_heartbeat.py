"""Heartbeat probes: an outside job (the nightly backup) checks in without logging in, by the
token in the address; silence past the period takes the probe down, a check-in brings it up."""

import pytest
from django.test import Client

from lifeline.detection.models import Probe
from lifeline.detection.probes import scheduler, services
from tests.detection.alerting import t0  # noqa: F401
from tests.detection.probe_servers import make_probe

pytestmark = pytest.mark.django_db


@pytest.fixture
def backup(t0):
    return make_probe("夜间备份", kind="heartbeat", config={"period_minutes": 60}, interval_seconds=60,
                      down_after=1)


def run_due(clock, **jump):
    now = clock.advance(**jump)
    for probe_id, slot in scheduler.claim_due(now, "w1", 10):
        scheduler.run_one(probe_id, slot, "w1")


def test_check_in_by_post_or_get_without_login(backup, clock):
    path = f"/api/v1/heartbeat/{backup.heartbeat_token}"
    clock.advance(minutes=10)
    answer = Client().post(path)
    assert answer.status_code == 200
    backup.refresh_from_db()
    assert backup.last_heartbeat_at == clock.now()
    clock.advance(minutes=10)
    assert Client().get(path).status_code == 200
    backup.refresh_from_db()
    assert backup.last_heartbeat_at == clock.now()


def test_a_wrong_token_or_a_disabled_probe_is_not_found(backup):
    assert Client().post("/api/v1/heartbeat/not-the-token").status_code == 404
    assert Client().post(f"/api/v1/heartbeat/{backup.heartbeat_token}x").status_code == 404
    Probe.objects.filter(pk=backup.pk).update(enabled=False)
    assert Client().post(f"/api/v1/heartbeat/{backup.heartbeat_token}").status_code == 404
    backup.refresh_from_db()
    assert backup.last_heartbeat_at is None


def test_silence_past_the_period_takes_it_down_and_a_check_in_brings_it_up(backup, clock):
    run_due(clock, minutes=0)
    backup.refresh_from_db()
    assert backup.state == Probe.State.UP
    run_due(clock, minutes=59)
    backup.refresh_from_db()
    assert backup.state == Probe.State.UP
    run_due(clock, minutes=2)  # 61 min since the probe was made, no check-in
    backup.refresh_from_db()
    assert (backup.state, backup.last_error) == (Probe.State.DOWN, "还没有签到（应每 60 分钟签到一次）")
    services.check_in(backup.heartbeat_token)
    run_due(clock, minutes=1)
    backup.refresh_from_db()
    assert backup.state == Probe.State.UP


def test_each_heartbeat_probe_has_its_own_token_and_address(backup, settings):
    other = make_probe("医保对账", kind="heartbeat", config={"period_minutes": 1440}, interval_seconds=300)
    assert backup.heartbeat_token != other.heartbeat_token and len(backup.heartbeat_token) >= 32
    settings.LIFELINE_BASE_URL = "https://lifeline.hospital.example"
    assert services.heartbeat_url(backup) == (
        f"https://lifeline.hospital.example/api/v1/heartbeat/{backup.heartbeat_token}")
    assert make_probe("b", kind="tcp", config={"host": "his", "port": 1}).heartbeat_token is None

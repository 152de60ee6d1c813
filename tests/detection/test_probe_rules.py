"""From readings to state to one alert: down after N failures (seed 001: 3 readings), up after M
successes, flap damping, maintenance windows and silences, and an incident opened and told the source resolved."""
from datetime import timedelta

import pytest

from lifeline.audit.models import AuditEntry
from lifeline.core import clock
from lifeline.detection import alerts
from lifeline.detection.models import Alert, Probe, ProbeResult, Silence
from lifeline.detection.probes import rules, services
from lifeline.detection.probes.reading import Reading
from lifeline.incidents.models import Incident
from lifeline.status.models import MaintenanceWindow
from tests.detection.alerting import alert_texts, plan_001, registration, t0  # noqa: F401
from tests.detection.probe_servers import make_probe

pytestmark = pytest.mark.django_db
OK, FAIL = Reading(True, 12.0), Reading(False, 3.0, error="HTTP 502")


@pytest.fixture
def raised(monkeypatch):
    """Every signal a probe raises, passed on to the real alerts."""
    seen = []
    real = alerts.raise_signal

    def spy(**signal):
        seen.append("firing" if signal["firing"] else "resolved")
        return real(**signal)

    monkeypatch.setattr(alerts, "raise_signal", spy)
    return seen


class Feed:
    """Readings for a probe, one per 5 s slot from t0, the clock going along."""

    def __init__(self, probe, t0):
        self.probe, self.at = probe, t0

    def __call__(self, *readings):
        for reading in readings:
            self.at = clock.advance(seconds=5)
            rules.record(self.probe.pk, self.at, reading)
        self.probe.refresh_from_db()
        return self.probe.state


@pytest.fixture
def his_portal(registration):
    return make_probe("挂号服务", component=registration, down_after=3, up_after=2)


def test_seed_001_three_failed_readings_open_an_incident_and_recovery_resolves_it(t0, plan_001, his_portal, raised):
    feed = Feed(his_portal, t0)
    assert feed(OK) == Probe.State.UNKNOWN
    assert feed(OK) == Probe.State.UP
    assert feed(FAIL, FAIL) == Probe.State.UP and raised == [] and not Incident.objects.exists()
    assert feed(FAIL) == Probe.State.DOWN
    assert raised == ["firing"]
    incident = Incident.objects.get()
    assert (incident.plan_version.plan_id, incident.scenario_id, incident.services) == (
        "internet_hospital", "database_crash", ["挂号"])
    assert his_portal.alerted and his_portal.last_error == "HTTP 502"
    assert Alert.objects.get(source=his_portal.source).summary == "探针 挂号服务 状态为 故障：HTTP 502"

    assert feed(FAIL, FAIL) == Probe.State.DOWN and raised == ["firing"]  # raised once
    assert feed(OK) == Probe.State.DOWN  # up after 2 successes
    assert feed(OK) == Probe.State.UP
    assert raised == ["firing", "resolved"]
    assert Alert.objects.get(source=his_portal.source).status == Alert.Status.RESOLVED
    assert any(text.startswith("告警源已恢复") for text in alert_texts(incident))
    assert ProbeResult.objects.filter(probe=his_portal).count() == 9
    # Readings are machine records: the probe's settings are audited, its readings are not.
    assert not AuditEntry.objects.filter(object_type="detection.proberesult").exists()
    assert list(AuditEntry.objects.filter(object_type="detection.probe").values_list("action", flat=True)) == ["create"]


def test_a_slot_is_read_once(t0, his_portal):
    assert rules.record(his_portal.pk, t0, FAIL) is not None
    assert rules.record(his_portal.pk, t0, FAIL) is None
    his_portal.refresh_from_db()
    assert his_portal.consecutive_failures == 1 and ProbeResult.objects.count() == 1


def test_flapping_is_held_and_raised_once_until_it_settles(t0, plan_001, registration, raised):
    probe = make_probe("医保接口", component=registration, down_after=1, up_after=1, flap_changes=2,
                       flap_window_seconds=60)
    feed = Feed(probe, t0)
    assert feed(OK) == Probe.State.UP
    assert feed(FAIL) == Probe.State.DOWN  # change 1
    assert feed(OK) == Probe.State.UP  # change 2
    assert raised == ["firing", "resolved"]
    assert feed(FAIL) == Probe.State.FLAPPING  # change 3 within a minute: flapping
    assert feed(OK, FAIL, OK, FAIL, OK) == Probe.State.FLAPPING
    assert raised == ["firing", "resolved", "firing"]
    assert Alert.objects.get(source=probe.source).summary.startswith("探针 医保接口 状态为 抖动")
    # Up, and no change for a whole window: it settles, and the alert resolves.
    assert feed(*[OK] * 11) == Probe.State.FLAPPING
    assert feed(OK) == Probe.State.UP
    assert raised == ["firing", "resolved", "firing", "resolved"]
    assert probe.state_since == feed.at


def test_no_alert_in_maintenance_and_the_alert_comes_when_it_ends(t0, plan_001, his_portal, raised):
    MaintenanceWindow.objects.create(starts_at=t0, ends_at=t0 + timedelta(seconds=30), note="数据库升级") \
        .components.add(his_portal.component)
    feed = Feed(his_portal, t0)
    assert feed(FAIL, FAIL, FAIL, FAIL) == Probe.State.DOWN
    assert raised == [] and not Incident.objects.exists()
    assert feed(FAIL, FAIL) == Probe.State.DOWN  # t0 + 30 s: the window has ended
    assert raised == ["firing"] and Incident.objects.count() == 1


def test_no_alert_while_silenced_and_the_alert_comes_when_the_silence_ends(t0, plan_001, his_portal, raised):
    Silence.objects.create(matchers=f"probe={his_portal.name}", starts_at=t0, ends_at=t0 + timedelta(seconds=30),
                           reason="换网线")
    feed = Feed(his_portal, t0)
    assert feed(FAIL, FAIL, FAIL, FAIL) == Probe.State.DOWN
    assert raised == [] and not Incident.objects.exists()
    assert feed(FAIL, FAIL) == Probe.State.DOWN  # t0 + 30 s: the silence has ended
    assert raised == ["firing"] and Incident.objects.count() == 1


def test_a_failed_raise_is_tried_again_on_the_next_reading(t0, plan_001, his_portal, monkeypatch):
    real = alerts.raise_signal

    def broken(**signal):
        raise ConnectionError("database busy")

    monkeypatch.setattr(alerts, "raise_signal", broken)
    feed = Feed(his_portal, t0)
    assert feed(FAIL, FAIL, FAIL) == Probe.State.DOWN
    assert not his_portal.alerted and ProbeResult.objects.count() == 3  # the readings are kept
    monkeypatch.setattr(alerts, "raise_signal", real)
    feed(FAIL)
    assert his_portal.alerted and Incident.objects.count() == 1


def test_switching_a_probe_off_resolves_its_alert(t0, plan_001, his_portal, raised):
    feed = Feed(his_portal, t0)
    assert feed(FAIL, FAIL, FAIL) == Probe.State.DOWN and raised == ["firing"]
    his_portal.enabled = False
    services.save(his_portal)
    his_portal.refresh_from_db()
    assert (his_portal.state, his_portal.alerted, his_portal.consecutive_failures) == (Probe.State.UNKNOWN, False, 0)
    assert raised == ["firing", "resolved"]
    assert Alert.objects.get(source=his_portal.source).summary == "探针 挂号服务 已停用"

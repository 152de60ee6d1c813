"""Alerts from any source: stored once per fingerprint, grouped, one incident per outage, source resolved."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifeline.accounts.roles import Role
from lifeline.audit.models import AuditEntry
from lifeline.detection import alerts
from lifeline.detection.models import Alert, AlertGroup, Silence
from lifeline.incidents import lifecycle
from lifeline.incidents.models import Incident
from lifeline.status.models import MaintenanceWindow
from tests.detection.alerting import alert_texts, insurance, plan_001, registration, t0  # noqa: F401

pytestmark = pytest.mark.django_db


def fire(component, fingerprint="db-down", group_key="his-db", firing=True, **extra):
    return alerts.raise_signal(source="probe:1", fingerprint=fingerprint, firing=firing,
                               summary="数据库连接中断", component=component, group_key=group_key, **extra)


def test_a_firing_alert_opens_an_incident_through_the_scenario_naming_its_component(t0, plan_001, registration):
    alert = fire(registration)

    incident = Incident.objects.get()
    assert (incident.plan_version.plan_id, incident.scenario_id, incident.level_id) == (
        "internet_hospital", "database_crash", "L1")
    assert incident.services == ["挂号"]
    assert incident.title == "挂号：数据库连接中断"
    assert alert.status == Alert.Status.FIRING and alert.group.incident == incident
    assert alert_texts(incident) == ["由 probe:1 的告警开启：数据库连接中断"]


def test_explicit_plan_scenario_and_level_win(t0, plan_001, insurance):
    fire(insurance, plan_id="internet_hospital", scenario_id="server_down", level_id="L2")

    incident = Incident.objects.get()
    assert (incident.scenario_id, incident.level_id) == ("server_down", "L2")


def test_a_level_the_plan_does_not_have_still_opens_the_incident_and_says_so(t0, plan_001, registration):
    """A severity mapped for plan 003 (level_1) reaching plan 001 (L1–L3): the outage is not lost."""
    fire(registration, level_id="level_1", origin="Prometheus 机房")

    incident = Incident.objects.get()
    assert (incident.scenario_id, incident.level_id) == ("database_crash", "L1")
    assert alert_texts(incident)[-1] == ("告警要求的级别 level_1 不在本预案中；已按预案确定的级别开启。"
                                         "请检查 Prometheus 机房 的严重程度对应级别。")


def test_repeats_of_one_fingerprint_are_one_alert_and_one_incident(t0, plan_001, registration):
    for _ in range(5):
        fire(registration)

    assert Alert.objects.count() == 1
    assert Incident.objects.count() == 1


def test_a_storm_of_one_group_is_one_incident_and_costs_no_incident_work(t0, plan_001, registration):
    alerts.ingest([alerts.Signal(source="integration:1", fingerprint=f"pod-{i}", firing=True, summary="HIS 无响应",
                                 component=registration, group_key="his") for i in range(1000)])
    storm = [alerts.Signal(source="integration:1", fingerprint=f"pod-{i}", firing=True, summary="HIS 无响应",
                           component=registration, group_key="his") for i in range(1000, 2000)]
    with CaptureQueriesContext(connection) as queries:
        alerts.ingest(storm)

    # The group's incident is open: silences, groups with their incident, maintenance, the upsert.
    sql = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(('INSERT INTO "detection_alert"',
                                                                                   "SAVEPOINT", "RELEASE"))]
    assert [q.split(" FROM ")[1].split()[0] for q in sql] == [
        '"detection_silence"', '"detection_alertgroup"', '"status_maintenancewindow"']

    assert Alert.objects.count() == 2000
    assert Incident.objects.count() == 1
    assert len(alert_texts(Incident.objects.get())) == 1


def test_groups_of_one_component_share_its_open_incident(t0, plan_001, registration):
    fire(registration, fingerprint="a", group_key="db")
    fire(registration, fingerprint="b", group_key="network")

    incident = Incident.objects.get()
    assert AlertGroup.objects.filter(incident=incident).count() == 2
    assert alert_texts(incident)[-1] == "更多告警并入本事件：数据库连接中断"


def test_a_storm_in_many_groups_routed_to_one_scenario_is_one_incident(t0, plan_001):
    """Alertmanager grouping by instance, no component label, the integration routing every
    alert to plan 001's server_down scenario: 200 groups, one incident."""
    for batch in range(4):
        alerts.ingest([alerts.Signal(source="integration:1", fingerprint=f"node-{i}", firing=True,
                                     summary="节点失联", plan_id="internet_hospital", scenario_id="server_down",
                                     group_key=f"instance=node-{i}") for i in range(batch * 50, batch * 50 + 50)])

    incident = Incident.objects.get()
    assert incident.scenario_id == "server_down"
    assert AlertGroup.objects.filter(incident=incident).count() == 200
    other = fire(None, fingerprint="x", group_key="x", plan_id="internet_hospital", scenario_id="database_crash")
    assert other.group.incident != incident and Incident.objects.count() == 2  # another scenario, another outage


def test_source_resolved_when_every_alert_of_the_group_resolved_and_the_commander_decides(
        t0, plan_001, registration):
    fire(registration, fingerprint="a")
    fire(registration, fingerprint="b")
    incident = Incident.objects.get()

    fire(registration, fingerprint="a", firing=False)
    assert not alerts.source_resolved(incident)
    assert not any("告警源已恢复" in text for text in alert_texts(incident))

    resolved = fire(registration, fingerprint="b", firing=False)
    fire(registration, fingerprint="b", firing=False)  # Alertmanager repeats resolved notifications

    incident.refresh_from_db()
    assert resolved.status == Alert.Status.RESOLVED and resolved.ends_at == t0
    assert alerts.source_resolved(incident)
    assert [t for t in alert_texts(incident) if "告警源已恢复" in t] == [
        "告警源已恢复：本组告警已全部恢复，是否结束事件由指挥决定。"]
    assert incident.status == Incident.Status.REPORTED  # not closed by the source


def test_the_incident_page_says_the_source_resolved_and_leaves_the_decision_to_the_commander(
        t0, plan_001, registration, client, make_user):
    fire(registration)
    incident = Incident.objects.get()
    client.force_login(make_user("duty", Role.DUTY))
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "告警中" in page and "告警源已恢复" not in page

    fire(registration, firing=False)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "告警源已恢复" in page and "是否结束事件由指挥决定" in page


def test_firing_again_on_the_open_incident_says_so_without_a_new_incident(t0, plan_001, registration):
    fire(registration)
    fire(registration, firing=False)
    fire(registration)

    incident = Incident.objects.get()
    assert alert_texts(incident)[-1] == "告警源再次告警：数据库连接中断"
    assert not alerts.source_resolved(incident)


def test_after_the_incident_is_resolved_a_new_firing_opens_a_new_incident(t0, plan_001, registration):
    fire(registration)
    first = Incident.objects.get()
    for status in ("acknowledged", "resolved"):
        lifecycle.transition(first, status, confirmed=True)

    fire(registration)

    assert Incident.objects.count() == 2
    assert AlertGroup.objects.get().incident != first


def test_a_silenced_alert_is_stored_and_opens_nothing(t0, plan_001, registration):
    silence = Silence.objects.create(matchers="alertname=DiskFull, instance=~his-db.*", reason="扩容中",
                                     ends_at=t0 + timedelta(hours=2))

    alert = fire(registration, labels={"alertname": "DiskFull", "instance": "his-db-01"})
    other = fire(registration, fingerprint="x", group_key="g2", labels={"alertname": "DiskFull", "instance": "lis"})

    assert alert.silence == silence
    assert other.silence is None
    assert Incident.objects.count() == 1 and other.group.incident is not None and alert.group.incident is None


def test_a_silence_by_component_and_an_expired_silence(t0, plan_001, registration, insurance):
    Silence.objects.create(component=registration, reason="升级", ends_at=t0 + timedelta(hours=1))
    Silence.objects.create(component=insurance, reason="昨天", starts_at=t0 - timedelta(days=1), ends_at=t0)

    assert fire(registration).silence is not None
    assert fire(insurance, fingerprint="i", group_key="i").silence is None
    assert Incident.objects.get().services == ["医保接口"]


def test_an_alert_on_a_component_in_maintenance_opens_nothing(t0, plan_001, registration):
    window = MaintenanceWindow.objects.create(starts_at=t0 - timedelta(minutes=5), ends_at=t0 + timedelta(hours=1))
    window.components.add(registration)

    alert = fire(registration)

    assert alert.in_maintenance
    assert not Incident.objects.exists()


def test_without_a_plan_for_the_component_the_alert_is_kept_with_the_reason(t0, plan_001, db):
    from lifeline.status.models import Component

    lab = Component.objects.create(key="lis", name="检验系统")
    alert = fire(lab)

    assert not Incident.objects.exists()
    assert "检验系统" in alert.group.problem


def test_raw_alerts_write_no_audit_rows(t0, plan_001, registration):
    fire(registration)
    before = AuditEntry.objects.count()

    alerts.ingest([alerts.Signal(source="probe:1", fingerprint=f"f{i}", firing=True, summary="s",
                                 component=registration, group_key="his-db") for i in range(50)])

    assert AuditEntry.objects.count() == before

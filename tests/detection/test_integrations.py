"""The receivers: Alertmanager v4, Zabbix media type and the generic webhook, by their token URL."""
import json

import pytest
from django.core.exceptions import ValidationError

from lifeline.detection import integrations
from lifeline.detection.models import Alert, AlertGroup, Integration
from lifeline.incidents.models import Incident
from tests.detection.alerting import alert_texts, insurance, plan_001, registration, t0  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def make(plan_001, registration, insurance):
    def make(kind="alertmanager", **fields):
        integration, token = integrations.create_integration(kind=kind, name=f"{kind} 监控", **fields)
        return integration, f"/api/v1/integrations/{kind}/{token}"

    return make


def post(client, url, body):
    return client.post(url, json.dumps(body) if not isinstance(body, bytes) else body,
                       content_type="application/json")


def am_alert(name="HISDown", status="firing", fingerprint="fp1", **labels):
    return {"status": status, "labels": {"alertname": name, **labels},
            "annotations": {"summary": f"{name} 告警"}, "startsAt": "2026-11-22T01:00:00.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-22T01:10:00Z",
            "generatorURL": "http://prometheus/graph", "fingerprint": fingerprint}


def am_payload(*alerts, group="{}:{alertname=\"HISDown\"}"):
    return {"version": "4", "groupKey": group, "truncatedAlerts": 0, "status": "firing", "receiver": "lifeline",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
            "somethingNew": {"ignored": True}, "alerts": list(alerts)}


def test_the_token_is_shown_once_and_only_its_digest_is_kept(make, settings):
    settings.LIFELINE_BASE_URL = "https://lifeline.hospital.example"
    integration, token = integrations.create_integration(kind="zabbix", name="Zabbix")

    url = integrations.receiver_url(integration, token)
    assert url == f"https://lifeline.hospital.example/api/v1/integrations/zabbix/{token}"
    stored = Integration.objects.filter(pk=integration.pk).values().get()
    assert token not in json.dumps(stored, default=str)


def test_creation_refuses_unknown_plan_scenario_level_and_component(make):
    with pytest.raises(ValidationError, match="scenario_id"):
        integrations.create_integration(kind="webhook", name="a", plan_id="internet_hospital", scenario_id="nope")
    with pytest.raises(ValidationError, match="L9"):
        integrations.create_integration(kind="webhook", name="b", plan_id="internet_hospital", level_id="L9")
    with pytest.raises(ValidationError, match="component"):
        integrations.create_integration(kind="webhook", name="c", component_key="nope")
    with pytest.raises(ValidationError, match="kind"):
        integrations.create_integration(kind="nagios", name="d")
    assert not Integration.objects.exists()


def test_a_wrong_token_or_kind_is_404_and_stores_nothing(client, make):
    _integration, url = make()

    assert post(client, url + "x", am_payload(am_alert())).status_code == 404
    assert post(client, url.replace("alertmanager", "zabbix"), am_payload(am_alert())).status_code == 404
    assert post(client, url.replace("alertmanager", "nagios"), am_payload(am_alert())).status_code == 404
    assert not Alert.objects.exists()


def test_a_disabled_integration_receives_nothing(client, make):
    integration, url = make()
    Integration.objects.filter(pk=integration.pk).update(enabled=False)

    assert post(client, url, am_payload(am_alert())).status_code == 404


def test_alertmanager_opens_one_incident_per_group_routed_by_labels(client, make, t0):
    integration, url = make(plan_id="internet_hospital")
    integration.severity_levels = {"critical": "L1", "warning": "L3"}
    integration.save()

    answer = post(client, url, am_payload(am_alert(fingerprint="a", component="registration", severity="warning"),
                                          am_alert(fingerprint="b", component="registration", severity="warning")))

    assert answer.status_code == 200 and answer.json() == {"stored": 2}
    incident = Incident.objects.get()
    assert (incident.scenario_id, incident.level_id, incident.services) == ("database_crash", "L3", ["挂号"])
    assert alert_texts(incident) == ["由 alertmanager 监控 的告警开启：HISDown 告警"]
    alert = Alert.objects.get(fingerprint="a")
    assert alert.starts_at.isoformat() == "2026-11-22T01:00:00.123456+00:00" and alert.ends_at is None
    assert alert.group.key == '{}:{alertname="HISDown"}'


def test_alertmanager_resolved_notification_marks_the_incident_source_resolved(client, make, t0):
    _integration, url = make(component_key="registration")
    post(client, url, am_payload(am_alert(fingerprint="a"), am_alert(fingerprint="b")))

    post(client, url, am_payload(am_alert(fingerprint="a", status="resolved"), am_alert(fingerprint="b")))
    assert not any("告警源已恢复" in t for t in alert_texts(Incident.objects.get()))

    post(client, url, am_payload(am_alert(fingerprint="a", status="resolved"),
                                 am_alert(fingerprint="b", status="resolved")))
    incident = Incident.objects.get()
    assert any("告警源已恢复" in t for t in alert_texts(incident))
    assert incident.status == Incident.Status.REPORTED
    assert Alert.objects.get(fingerprint="b").ends_at.isoformat() == "2026-11-22T01:10:00+00:00"


def test_group_by_labels_replaces_the_group_key(client, make, t0):
    integration, url = make(component_key="insurance")
    integration.group_by = "cluster"
    integration.save()

    post(client, url, am_payload(am_alert(fingerprint="a", cluster="a"), group="g1"))
    post(client, url, am_payload(am_alert(fingerprint="b", cluster="a"), group="g2"))

    assert list(AlertGroup.objects.values_list("key", flat=True)) == ["cluster=a"]


@pytest.mark.parametrize("body, field", [
    (am_payload(am_alert(status="burning")), "alerts.0.status"),
    ({"version": "4"}, "alerts"),
    (am_payload({**am_alert(), "startsAt": "yesterday"}), "alerts.0.startsAt"),
    (am_payload({**am_alert(), "labels": {"n": {"x": 1}}}), "alerts.0.labels.n"),
    (b"{not json", "body"),
    ([1, 2], "body"),
])
def test_a_bad_payload_is_400_naming_the_field_and_stores_nothing(client, make, body, field):
    _integration, url = make()

    answer = post(client, url, body)

    assert answer.status_code == 400
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert not Alert.objects.exists() and not AlertGroup.objects.exists()


def zabbix(status="PROBLEM", event_id=101, host="his-db-01", **extra):
    return {"event_id": event_id, "status": status, "severity": "Disaster", "host": host,
            "trigger": "MySQL is down", "event_time": "2026-11-22T09:00:00",
            "tags": [{"tag": "component", "value": "挂号"}, {"tag": "team", "value": "dba"}], **extra}


def test_zabbix_problem_and_recovery_by_the_same_event_id(client, make, t0):
    integration, url = make(kind="zabbix")
    integration.severity_levels = {"Disaster": "L1", "High": "L2"}
    integration.save()

    assert post(client, url, zabbix()).status_code == 200
    incident = Incident.objects.get()
    assert (incident.level_id, incident.services, incident.title) == ("L1", ["挂号"], "挂号：his-db-01: MySQL is down")
    alert = Alert.objects.get()
    assert alert.labels["team"] == "dba" and alert.group.key == "his-db-01"
    assert alert.starts_at == t0  # a time without a zone is the hospital's

    assert post(client, url, zabbix(status="RESOLVED")).status_code == 200
    assert Alert.objects.get().status == Alert.Status.RESOLVED
    assert any("告警源已恢复" in t for t in alert_texts(incident))


def test_zabbix_refuses_an_unknown_status_and_a_missing_host(client, make):
    _integration, url = make(kind="zabbix")

    answer = post(client, url, {**zabbix(status="OK"), "host": ""})

    assert answer.status_code == 400
    assert {e["field"] for e in answer.json()["errors"]} == {"status", "host"}


def test_webhook_takes_a_list_or_one_alert(client, make, t0):
    _integration, url = make(kind="webhook", plan_id="internet_hospital")
    one = {"fingerprint": "ins-1", "status": "firing", "summary": "医保前置机不通", "component": "insurance",
           "group": "insurance-network"}

    assert post(client, url, one).json() == {"stored": 1}
    assert post(client, url, {"alerts": [{**one, "fingerprint": "ins-2"}]}).json() == {"stored": 1}

    incident = Incident.objects.get()
    assert (incident.scenario_id, incident.services) == ("third_party_interface", ["医保接口"])
    assert AlertGroup.objects.get().key == "insurance-network"

    assert post(client, url, {**one, "status": "resolved"}).status_code == 200
    assert post(client, url, {**one, "fingerprint": "ins-2", "status": "resolved"}).status_code == 200
    assert any("告警源已恢复" in t for t in alert_texts(incident))


def test_webhook_refuses_an_alert_without_summary(client, make):
    _integration, url = make(kind="webhook")

    answer = post(client, url, {"alerts": [{"fingerprint": "x", "status": "firing"}]})

    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "alerts.0.summary"

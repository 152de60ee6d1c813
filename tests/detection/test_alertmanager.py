"""Done-when: a real Prometheus Alertmanager sends its webhook to a live Lifeline.

Alertmanager groups three alerts of one outage into one notification; Lifeline opens one
incident. When the alerts are pushed again as ended, Alertmanager sends them resolved and
the incident's timeline says the source resolved (it stays open: the commander decides).
Only Alertmanager's own timers are waited for (group_wait, group_interval of 1 s).
"""
import json
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime

import pytest

from lifeline.detection import integrations
from lifeline.detection.models import Alert
from lifeline.incidents.models import Incident
from lifeline.plans import services as plans
from lifeline.status.models import Component
from tests.detection.alerting import alert_texts
from tests.plans.seeds import bundled_file

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
DEADLINE_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def alertmanager(tmp_path):
    """Start Alertmanager with a webhook receiver; yields a function taking the receiver URL."""
    processes = []

    def start(webhook_url: str) -> str:
        config = tmp_path / "alertmanager.yml"
        config.write_text(json.dumps({  # YAML is a superset of JSON
            "route": {"receiver": "lifeline", "group_by": ["alertname"], "group_wait": "1s",
                      "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": [{"name": "lifeline", "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}],
        }))
        port = free_port()
        processes.append(subprocess.Popen(
            [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "alertmanager.log", "wb")))
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _ready(base), "Alertmanager to start")
        return base

    yield start
    for process in processes:
        process.terminate()
        process.wait(10)


def _ready(base: str) -> bool:
    try:
        return urllib.request.urlopen(f"{base}/-/ready", timeout=1).status == 200
    except OSError:
        return False


def wait_for(condition, what: str):
    """Poll an outside process's effect until a deadline (Alertmanager's timers are its own)."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def push(base: str, alerts: list[dict]):
    request = urllib.request.Request(f"{base}/api/v2/alerts", data=json.dumps(alerts).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    assert urllib.request.urlopen(request, timeout=5).status == 200


def outage(instances, **extra):
    return [{"labels": {"alertname": "HISDatabaseDown", "component": "registration", "severity": "critical",
                        "instance": instance},
             "annotations": {"summary": "HIS 数据库连接中断"}, **extra} for instance in instances]


def test_alertmanager_alerts_open_one_incident_and_resolve_it(transactional_db, live_server, alertmanager):
    plans.load_files([bundled_file("001")])
    Component.objects.create(key="registration", name="挂号")
    integration, token = integrations.create_integration(kind="alertmanager", name="Prometheus")
    integration.severity_levels = {"critical": "L1"}
    integration.save()
    webhook = f"{live_server.url}/api/v1/integrations/alertmanager/{token}"
    base = alertmanager(webhook)
    instances = ["his-db-01:9104", "his-db-02:9104", "his-app-01:9100"]

    push(base, outage(instances))

    # On SQLite the live server shares the test's connection, so a request's uncommitted rows are
    # visible here: wait for the incident's last write (the note of the alert that opened it).
    wait_for(lambda: any("告警开启" in text for incident in Incident.objects.all() for text in alert_texts(incident)),
             "an incident opened by the alerts")
    assert Alert.objects.filter(status=Alert.Status.FIRING).count() == 3
    incident = Incident.objects.get()
    assert (incident.scenario_id, incident.level_id, incident.services) == ("database_crash", "L1", ["挂号"])
    assert incident.title == "挂号：HIS 数据库连接中断"

    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    push(base, outage(instances, endsAt=now))

    wait_for(lambda: any("告警源已恢复" in text for text in alert_texts(incident)), "source resolved")
    assert Alert.objects.filter(status=Alert.Status.RESOLVED).count() == 3
    assert Incident.objects.count() == 1
    incident.refresh_from_db()
    assert incident.is_open  # the commander decides

"""Probe pages: the list (state, last check, latency, uptime), a probe's readings and hourly
charts, the form for commanders and IT on duty (CSRF, errors naming the field), auditors read
only, department staff kept out; the probes in the REST API."""
import re
from datetime import timedelta

import pytest
from django.test import Client

from lifeline.accounts.roles import Role
from lifeline.audit.models import AuditEntry
from lifeline.detection.models import Probe, ProbeResult
from tests.detection.alerting import registration, t0  # noqa: F401
from tests.detection.probe_servers import make_probe

pytestmark = pytest.mark.django_db


def client_for(make_user, name, role, csrf=False):
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(make_user(name, role))
    return client


@pytest.fixture
def watched(t0, clock, registration):
    """A probe with 24 h of readings every minute, the last 12 failed."""
    probe = make_probe("挂号服务", component=registration, interval_seconds=60)
    ProbeResult.objects.bulk_create(
        ProbeResult(probe=probe, at=t0 + timedelta(minutes=i), ok=i < 1428, latency_ms=40.0,
                    error="" if i < 1428 else "HTTP 502") for i in range(1440))
    Probe.objects.filter(pk=probe.pk).update(state="down", last_checked_at=t0 + timedelta(minutes=1439),
                                             last_latency_ms=40.0, last_error="HTTP 502")
    clock.freeze(t0 + timedelta(hours=24))
    return probe


def test_the_list_shows_state_last_check_latency_and_uptime(make_user, watched):
    page = client_for(make_user, "duty", Role.DUTY).get("/detection/probes/").content.decode()
    row = re.search(r'<tr data-probe="\d+">.*?</tr>', page, re.S).group(0)
    assert "挂号服务" in row and "故障" in row and "HTTP 502" in row and "40 ms" in row
    assert "99.17%" in row  # 1428 of 1440 good in the last 24 h
    assert "11-23 08:59:00" in row  # the last check, in the hospital's time
    assert "新建探针" in page


def test_the_detail_shows_readings_and_hourly_charts(make_user, watched):
    page = client_for(make_user, "duty", Role.DUTY).get(f"/detection/probes/{watched.pk}/").content.decode()
    assert page.count("<svg class=\"chart\"") == 2 and "每小时正常比例" in page  # legend swatches are svgs too
    assert "<td>11-23 08:00</td><td>60</td><td>12</td><td>80.00%</td>" in page
    assert page.count("HTTP 502</td>") == 12


def test_duty_creates_a_probe_through_the_form_with_csrf(make_user, registration):
    client = client_for(make_user, "duty", Role.DUTY, csrf=True)
    form = client.get("/detection/probes/new/")
    token = form.cookies["csrftoken"].value
    fields = {"name": "HIS 门户", "kind": "http", "component": registration.pk, "enabled": "on",
              "config": '{"url": "https://his.example/health", "keyword": "OK"}', "interval_seconds": 5,
              "timeout_seconds": 5, "down_after": 2, "up_after": 1, "flap_changes": 4, "flap_window_seconds": 600}
    assert client.post("/detection/probes/new/", fields).status_code == 403  # no CSRF token
    answer = client.post("/detection/probes/new/", {**fields, "csrfmiddlewaretoken": token})
    probe = Probe.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/detection/probes/{probe.pk}/"
    assert (probe.config["keyword"], probe.down_after, probe.next_due_at) == ("OK", 2, None)
    entry = AuditEntry.objects.get(object_type="detection.probe")
    assert entry.action == "create" and entry.actor_label == "duty"


@pytest.mark.parametrize("change, field, reason", [
    ({"config": '{"url": "ftp://his"}'}, "config",
     "config.url: &#x27;ftp://his&#x27; is not an http:// or https:// address"),
    ({"config": '{"url": "http://his", "colour": 1}'}, "config", "config.colour: unknown field"),
    ({"config": "{url: his"}, "config", "输入一个有效的JSON"),
    ({"kind": "tcp", "config": '{"host": "his-db"}'}, "config", "config.port: required"),
    ({"interval_seconds": 2}, "interval_seconds", "5"),
    ({"timeout_seconds": 30}, "timeout_seconds", "超时不能长于检测间隔"),
    ({"threshold_op": "<", "threshold_value": 10}, "threshold_op", "该探针不产生可比较的数值"),
    ({"plan_id": "no_such_plan"}, "plan_id", "no_such_plan"),
])
def test_bad_settings_are_refused_naming_the_field(make_user, change, field, reason):
    client = client_for(make_user, "commander", Role.COMMANDER)
    fields = {"name": "HIS 门户", "kind": "http", "enabled": "on", "config": '{"url": "http://his/"}',
              "interval_seconds": 10, "timeout_seconds": 5, "down_after": 3, "up_after": 1, "flap_changes": 4,
              "flap_window_seconds": 600, **change}
    answer = client.post("/detection/probes/new/", fields)
    page = answer.content.decode()
    assert answer.status_code == 200 and "没有保存" in page
    assert reason in page
    assert re.search(rf'id="id_{field}_error"|name="{field}"[^>]*aria-invalid="true"', page)
    assert not Probe.objects.exists()


def test_editing_keeps_the_readings_state(make_user, watched):
    client = client_for(make_user, "commander", Role.COMMANDER)
    form = client.get(f"/detection/probes/{watched.pk}/edit/").context["form"]
    fields = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    fields.update(enabled="on", interval_seconds=30, component=watched.component_id,
                  config='{"url": "http://127.0.0.1:9/"}')
    fields.pop("threshold_op", None)
    assert client.post(f"/detection/probes/{watched.pk}/edit/", fields).status_code == 302
    watched.refresh_from_db()
    assert (watched.interval_seconds, watched.state, watched.last_error) == (30, "down", "HTTP 502")


def test_auditors_read_only_and_department_staff_are_kept_out(make_user, watched):
    auditor = client_for(make_user, "auditor", Role.AUDITOR)
    assert auditor.get("/detection/probes/").status_code == 200
    assert "新建探针" not in auditor.get("/detection/probes/").content.decode()
    detail = auditor.get(f"/detection/probes/{watched.pk}/").content.decode()
    assert "修改设置" not in detail
    assert auditor.get("/detection/probes/new/").status_code == 403
    assert auditor.post(f"/detection/probes/{watched.pk}/edit/", {"name": "x"}).status_code == 403
    department = client_for(make_user, "ward", Role.DEPARTMENT)
    for path in ("/detection/probes/", f"/detection/probes/{watched.pk}/", "/api/v1/probes"):
        assert department.get(path).status_code == 403
    assert Client().get("/detection/probes/").status_code == 302  # to the login page


def test_the_api_lists_probes_with_their_state(make_user, watched):
    found = client_for(make_user, "auditor", Role.AUDITOR).get("/api/v1/probes").json()
    assert [(p["name"], p["state"], p["component"], p["last_error"], round(p["uptime_24h"], 2)) for p in found] == [
        ("挂号服务", "down", "挂号", "HTTP 502", 99.17)]

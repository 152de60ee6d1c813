"""Integration and silence pages, the admin's receiver URL, and `lifeline integration`."""
import html
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from lifeline.accounts.roles import Role
from lifeline.detection.models import Alert, Integration, Silence
from lifeline.plans import services as plans
from tests.detection.alerting import plan_001, registration, t0  # noqa: F401
from tests.plans.seeds import bundled_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def duty(client, make_user):
    client.force_login(make_user("zhang", Role.DUTY))
    return client


def test_duty_creates_an_integration_and_sees_its_url_once(duty, plan_001, registration):
    answer = duty.post("/detection/integrations/", {
        "name": "Prometheus 机房", "kind": "alertmanager", "enabled": "on", "plan_id": "internet_hospital",
        "component": "registration", "component_label": "component", "severity_label": "severity",
        "severity_levels": '{"critical": "L1"}', "group_by": ""})

    assert answer.status_code == 200
    page = answer.content.decode()
    assert "请现在把接收地址复制到监控系统" in page
    url = page.split('<code class="receiver-url">')[1].split("</code>")[0]
    assert url.startswith("http://127.0.0.1:8000/api/v1/integrations/alertmanager/")
    assert url.rsplit("/", 1)[1] not in duty.get("/detection/integrations/").content.decode()
    integration = Integration.objects.get()
    assert (integration.component.key, integration.severity_levels) == ("registration", {"critical": "L1"})

    path = url.removeprefix("http://127.0.0.1:8000")
    assert duty.post(path, json.dumps({"alerts": [{"status": "firing", "labels": {}, "fingerprint": "x"}]}),
                     content_type="application/json").status_code == 200


def test_the_form_names_a_level_the_plan_does_not_have(duty, plan_001):
    plans.load_files([bundled_file("003")])  # a second plan: its levels are offered too, under its name
    fields = {"name": "Zabbix", "kind": "zabbix", "plan_id": "internet_hospital",
              "component_label": "component", "severity_label": "severity", "severity_levels": "{}"}
    page = duty.get("/detection/integrations/").content.decode()
    assert '<optgroup label="总医院信息系统应急方案">' in page and '<option value="level_1">一级故障</option>' in page

    answer = duty.post("/detection/integrations/", {**fields, "level_id": "level_1"})
    assert "预案 互联网医院系统瘫痪应急措施 中没有级别 level_1" in answer.content.decode()
    answer = duty.post("/detection/integrations/", {**fields, "level_id": "L7"})
    level = next(b for b in answer.content.decode().split('<div class="field') if 'name="level_id"' in b)
    assert "field-error" in level and "L7" in level  # Django's own "not one of the choices", by the field
    assert not Integration.objects.exists()


def test_without_a_plan_the_severity_map_names_levels_of_the_active_plans(duty, plan_001):
    fields = {"name": "Prometheus 机房", "kind": "alertmanager", "component_label": "component",
              "severity_label": "severity", "group_by": ""}
    refused = duty.post("/detection/integrations/", {**fields, "severity_levels": '{"critical": "level_1"}'})

    assert "没有任何生效预案有级别 level_1；它们的级别是 L1, L2, L3" in refused.content.decode()
    assert not Integration.objects.exists()
    taken = duty.post("/detection/integrations/", {**fields, "severity_levels": '{"critical": "L1"}'})
    assert "请现在把接收地址复制到监控系统" in taken.content.decode()


def _help_lines(page: str) -> dict[str, str]:
    """The severity map's help, one line per active plan: {plan id: the line's HTML}."""
    return {chunk.split('"', 1)[0]: chunk.split(">", 1)[1].split("</span>", 1)[0]
            for chunk in page.split('<span class="plan-levels" data-plan="')[1:]}


def _example(line: str) -> str:
    return html.unescape(line.split('<code class="severity-example">')[1].split("</code>")[0])


def test_the_severity_help_names_the_active_plans_levels(duty, plan_001):
    lines = _help_lines(duty.get("/detection/integrations/").content.decode())

    assert list(lines) == ["internet_hospital"]
    assert lines["internet_hospital"].startswith("《互联网医院系统瘫痪应急措施》：")
    assert json.loads(_example(lines["internet_hospital"])) == {"critical": "L1", "warning": "L3"}


def test_each_bundled_plans_example_is_taken_as_it_stands(duty):
    """The demo's plans: the example for each, pasted with that plan chosen or with none, is accepted."""
    plans.load_bundled()
    lines = _help_lines(duty.get("/detection/integrations/").content.decode())
    assert set(lines) == {v.plan_id for v in plans.active_plans()} and len(lines) == 5
    fields = {"kind": "alertmanager", "enabled": "on", "component_label": "component", "severity_label": "severity"}
    for plan_id, line in lines.items():
        for chosen in (plan_id, ""):
            taken = duty.post("/detection/integrations/", {**fields, "name": f"{plan_id}-{chosen or 'any'}",
                                                           "plan_id": chosen, "severity_levels": _example(line)})
            assert "请现在把接收地址复制到监控系统" in taken.content.decode(), (plan_id, chosen, _example(line))
    assert Integration.objects.count() == 10


def test_department_staff_neither_read_nor_create(client, make_user):
    client.force_login(make_user("li", Role.DEPARTMENT))

    assert client.get("/detection/integrations/").status_code == 403
    assert client.post("/detection/integrations/", {"name": "x", "kind": "webhook"}).status_code == 403
    assert not Integration.objects.exists()


def test_auditors_read_without_the_form_and_may_not_create(client, make_user):
    client.force_login(make_user("wu", Role.AUDITOR))

    assert "新建告警接入" not in client.get("/detection/integrations/").content.decode()
    assert client.post("/detection/integrations/", {"name": "x", "kind": "webhook"}).status_code == 403
    assert not Integration.objects.exists()


def test_the_page_needs_a_login(client):
    assert client.get("/detection/integrations/").status_code == 302


def test_silences_are_added_and_ended_by_duty(duty, t0, registration):
    answer = duty.post("/detection/silences/", {
        "matchers": "alertname=DiskFull", "component": registration.pk, "starts_at": "2026-11-22T09:00",
        "ends_at": "2026-11-22T11:00", "reason": "扩容"}, follow=True)

    silence = Silence.objects.get()
    assert silence.created_by.username == "zhang" and silence.ends_at == t0 + timedelta(hours=2)
    assert "扩容" in answer.content.decode()

    duty.post(f"/detection/silences/{silence.pk}/end/")
    silence.refresh_from_db()
    assert silence.ends_at == t0


def test_a_silence_with_a_bad_matcher_is_refused_naming_it(duty, t0):
    answer = duty.post("/detection/silences/", {
        "matchers": "alertname DiskFull", "starts_at": "2026-11-22T09:00", "ends_at": "2026-11-22T11:00",
        "reason": "x"})

    assert "alertname DiskFull：请写成" in answer.content.decode()
    assert not Silence.objects.exists()


def test_admin_shows_the_receiver_url_once_on_creation(client, make_user):
    client.force_login(make_user("root", Role.ADMIN))

    answer = client.post("/admin/detection/integration/add/", {
        "name": "Webhook", "kind": "webhook", "enabled": "on", "component_label": "component",
        "severity_label": "severity", "severity_levels": "{}"}, follow=True)

    assert "/api/v1/integrations/webhook/" in answer.content.decode()
    assert Integration.objects.get().token_hash


def test_cli_prints_the_url_on_its_last_line_and_lists(client, plan_001, registration, settings):
    settings.LIFELINE_BASE_URL = "http://lifeline.example:8080"
    out = io.StringIO()
    call_command("integration", "create", "--kind", "webhook", "--name", "门诊", "--plan", "internet_hospital",
                 "--component", "registration", stdout=out)

    url = out.getvalue().strip().splitlines()[-1]
    assert url.startswith("http://lifeline.example:8080/api/v1/integrations/webhook/")
    answer = client.post(url.removeprefix("http://lifeline.example:8080"),
                         json.dumps({"fingerprint": "a", "status": "firing", "summary": "挂号慢"}),
                         content_type="application/json")
    assert answer.status_code == 200 and Alert.objects.get().group.incident.services == ["挂号"]

    listing = io.StringIO()
    call_command("integration", "list", stdout=listing)
    assert listing.getvalue().split("\t")[1:4] == ["webhook", "门诊", "enabled"]
    assert url.rsplit("/", 1)[1] not in listing.getvalue()


def test_cli_names_the_bad_option(plan_001):
    with pytest.raises(CommandError, match="--scenario"):
        call_command("integration", "create", "--kind", "zabbix", "--name", "z", "--plan", "internet_hospital",
                     "--scenario", "nope")

"""An alert nobody routes is not silent: red on the dashboard and the wall, said on the
integrations page, and an integration without a plan says so when created."""
import io
import json

import pytest
from django.core.management import call_command

from lifeline.accounts.roles import Role
from lifeline.detection import alerts, integrations, unrouted
from lifeline.detection.models import Integration, Silence
from lifeline.incidents import attention
from lifeline.status.models import Component
from tests.detection.alerting import plan_001, registration, t0  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(db):
    """A component no scenario of plan 001 names."""
    return Component.objects.create(key="lis", name="检验系统")


@pytest.fixture
def webhook(db, lab):
    integration = Integration(kind="webhook", name="机房 Zabbix 转发", component=lab)
    token = integrations.save_new(integration)
    return integration, token


@pytest.fixture
def duty(client, make_user):
    client.force_login(make_user("zhang", Role.DUTY))
    return client


def _fire(integration, fingerprint="lis-down", firing=True, component=None, summary="检验接口超时"):
    return alerts.raise_signal(source=integration.source, fingerprint=fingerprint, firing=firing, summary=summary,
                               component=component or integration.component, origin=integration.name)


def test_an_alert_no_plan_routes_is_on_the_dashboard_in_red(duty, t0, plan_001, webhook):
    integration, _token = webhook
    _fire(integration)

    [item] = attention.items()
    assert (item.kind, item.title, item.source) == ("未路由的告警", "检验系统：检验接口超时", "机房 Zabbix 转发")
    assert "检验系统" in item.why
    board = duty.get("/incidents/board/").content.decode()
    assert 'class="attention"' in board and "检验系统：检验接口超时" in board and "机房 Zabbix 转发" in board
    assert "integration:" not in board  # the source by its name, never its id
    assert "检验系统：检验接口超时" in duty.get("/incidents/").content.decode()


def test_an_alert_no_plan_routes_is_on_the_wall(duty, t0, plan_001, webhook):
    integration, _token = webhook
    _fire(integration)

    [tile] = duty.get("/status/wall.json").json()["unrouted"]
    assert (tile["name"], tile["source"]) == ("检验系统：检验接口超时", "机房 Zabbix 转发")
    assert tile["since"].startswith("2026-11-22T09:00")


def test_routed_silenced_and_resolved_alerts_are_not_listed(duty, t0, plan_001, registration, webhook, lab):
    integration, _token = webhook
    _fire(integration, "reg", component=registration)  # plan 001 routes 挂号: an incident, not red
    Silence.objects.create(component=lab, ends_at=t0.replace(hour=12), reason="检验系统升级")
    _fire(integration, "muted")  # silenced on purpose: not red
    assert attention.items() == [] and unrouted.wall_tiles() == []

    Silence.objects.all().delete()
    _fire(integration, "lis-down")
    assert len(attention.items()) == 1
    _fire(integration, "lis-down", firing=False)  # the source resolved it
    assert attention.items() == []
    assert duty.get("/status/wall.json").json()["unrouted"] == []


def test_the_integrations_page_lists_unrouted_groups_and_warns_of_an_integration_without_a_plan(
        duty, t0, plan_001, webhook):
    integration, _token = webhook
    _fire(integration)

    page = duty.get("/detection/integrations/").content.decode()
    assert 'id="unrouted"' in page and "1 组告警未开事件" in page and 'class="unrouted"' in page
    assert "未指定预案" in page
    assert "没有生效预案的场景列出其默认组件 检验系统" in page
    assert f"integration:{integration.pk}" not in page


def test_an_integration_with_a_plan_shows_its_plan_by_name_and_no_warning(duty, t0, plan_001, registration):
    integrations.create_integration(kind="alertmanager", name="Prometheus", plan_id="internet_hospital",
                                    scenario_id="database_crash", level_id="L1")
    page = duty.get("/detection/integrations/").content.decode()
    assert "未指定预案" not in page
    assert ">internet_hospital<" not in page and ">database_crash<" not in page


def test_creating_an_integration_without_a_plan_says_so_on_the_page(duty, t0, plan_001, lab):
    answer = duty.post("/detection/integrations/", {
        "name": "检验 webhook", "kind": "webhook", "enabled": "on", "component": "lis",
        "component_label": "component", "severity_label": "severity", "severity_levels": "{}", "group_by": ""})
    page = answer.content.decode()
    assert "请现在把接收地址复制到监控系统" in page
    assert "未指定预案：只有当某个生效预案的场景列出告警的组件时" in page
    assert "没有生效预案的场景列出其默认组件 检验系统" in page


def test_creating_one_with_a_plan_says_nothing_of_the_kind(duty, t0, plan_001, registration):
    answer = duty.post("/detection/integrations/", {
        "name": "Prometheus", "kind": "alertmanager", "enabled": "on", "plan_id": "internet_hospital",
        "component_label": "component", "severity_label": "severity", "severity_levels": "{}", "group_by": ""})
    assert "未指定预案" not in answer.content.decode()


def test_the_cli_warns_before_the_url_which_stays_on_the_last_line(client, t0, plan_001, lab):
    out = io.StringIO()
    call_command("integration", "create", "--kind", "webhook", "--name", "检验", "--component", "lis", stdout=out)

    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("注意：未指定预案")
    assert "没有生效预案的场景列出其默认组件 检验系统" in lines[1]
    url = lines[-1]
    answer = client.post(url.removeprefix("http://127.0.0.1:8000"),
                         json.dumps({"fingerprint": "a", "status": "firing", "summary": "检验慢"}),
                         content_type="application/json")
    assert answer.status_code == 200
    assert [i.title for i in attention.items()] == ["检验系统：检验慢"]


def test_the_cli_says_nothing_more_with_a_plan(t0, plan_001, registration):
    out = io.StringIO()
    call_command("integration", "create", "--kind", "webhook", "--name", "门诊", "--plan", "internet_hospital",
                 stdout=out)
    assert "注意" not in out.getvalue() and len(out.getvalue().strip().splitlines()) == 2

"""The public status page, /status.json and the banner: no login, plain Chinese, nothing internal."""
from datetime import timedelta

import pytest

from lifeline.accounts.roles import Role
from lifeline.incidents import lifecycle
from lifeline.status import liaison
from lifeline.status.models import Component, MaintenanceWindow

pytestmark = pytest.mark.django_db


def test_the_page_needs_no_login_and_says_every_state_in_chinese(client, components, open_incident, t0):
    open_incident(services=["收费"])
    open_incident(title="数据库崩溃", level_id="L1", services=["挂号"])
    response = client.get("/status/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "服务状态" in text and "部分服务受影响" in text
    assert "部分功能受影响" in text and "暂停服务" in text and "正常" in text
    assert "数据库崩溃" not in text and "收费系统故障" not in text  # incident titles are internal


def test_all_well_says_so(client, components, t0):
    text = client.get("/status/").content.decode()
    assert "所有服务运行正常" in text
    assert "最近 14 天" in text and "这段时间没有服务中断" in text


def test_english_by_query_or_language_cookie(client, components, t0):
    assert "All services are working normally" in client.get("/status/?lang=en").content.decode()
    client.cookies["django_language"] = "en"
    assert "Operational" in client.get("/status/").content.decode()


def test_drills_do_not_show_not_even_their_notices(client, components, open_incident, make_user, t0):
    drill = open_incident(title="演练：医保中断", level_id="L1", services=["医保接口"], is_drill=True)
    liaison.publish_template(f"{drill.pk}:repairing", user=make_user("zhangwei", Role.DUTY))
    text = client.get("/status/").content.decode()
    assert "暂停服务" not in text and "部分功能正在修复" not in text and "演练" not in text
    assert "所有服务运行正常" in text
    assert client.get("/status.json").json()["notices"] == []


def test_a_notice_from_the_plan_shows_on_the_page_and_ends_with_its_incident(client, components, open_incident,
                                                                          make_user, t0):
    incident = open_incident(services=["医保接口"])
    notice = liaison.publish_template(f"{incident.pk}:repairing", user=make_user("zhangwei", Role.DUTY))
    assert [c.name for c in notice.components.all()] == ["医保接口"]
    text = client.get("/status/").content.decode()
    assert "部分功能正在修复" in text and "zhangwei" not in text
    lifecycle.transition(incident, "acknowledged")
    lifecycle.transition(incident, "resolved")
    text = client.get("/status/").content.decode()
    assert "所有服务运行正常" in text
    assert text.count("部分功能正在修复") == 1  # only in the history now


def test_a_free_notice_ends_when_its_time_is_up(client, components, make_user, t0, clock):
    liaison.publish(title="医保网络故障，请到人工窗口办理", hours=2, components=[components["insurance"]],
                    user=make_user("zhangwei", Role.DUTY))
    assert "医保网络故障，请到人工窗口办理" in client.get("/status/").content.decode()
    clock.advance(hours=2)
    assert "医保网络故障" not in client.get("/status/").content.decode()


def test_history_lists_the_last_14_days_of_real_incidents_on_public_components(client, components, open_incident,
                                                                              t0, clock):
    Component.objects.create(key="core-db", name="核心数据库", public=False)
    old = open_incident(title="旧故障", services=["药房"])
    lifecycle.transition(old, "acknowledged")
    lifecycle.transition(old, "resolved")
    clock.advance(days=15)
    recent = open_incident(title="新故障", services=["住院", "核心数据库"])
    lifecycle.transition(recent, "acknowledged")
    lifecycle.transition(recent, "resolved")
    open_incident(title="演练", services=["挂号"], is_drill=True)
    history = client.get("/status/").context["history"]
    assert [(e.components, e.label) for e in history] == [(["住院"], "部分功能受影响")]
    assert history[0].ended_at == clock.now()


def test_planned_maintenance_shows_before_it_starts_then_as_the_state(client, components, t0, clock):
    window = MaintenanceWindow.objects.create(starts_at=t0 + timedelta(hours=2), ends_at=t0 + timedelta(hours=4),
                                              note="HIS 升级")
    window.components.add(components["charging"])
    text = client.get("/status/").content.decode()
    assert "计划维护" in text and "HIS 升级" in text and "维护中" not in text
    clock.advance(hours=2)
    data = client.get("/status.json").json()
    assert {c["name"]: c["state_label"] for c in data["components"]}["收费"] == "维护中"
    assert data["state"] == "maintenance"


def test_feed_shape_and_cors(client, components, open_incident, make_user, t0):
    incident = open_incident(level_id="L1", services=["挂号"])
    liaison.publish(title="医保网络故障", body="请到人工窗口办理", incident=incident,
                    components=[components["insurance"]], user=make_user("zhangwei", Role.DUTY))
    response = client.get("/status.json", HTTP_ORIGIN="https://app.hospital.example")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == {"updated_at", "state", "state_label", "summary", "page", "components", "notices",
                         "maintenance"}
    assert data["updated_at"] == "2026-11-22T09:00:00+08:00"
    assert data["state"] == "outage" and data["state_label"] == "暂停服务"
    assert data["components"][0] == {"key": "registration", "name": "挂号", "description": "窗口、自助机和手机挂号",
                                     "state": "outage", "state_label": "暂停服务"}
    assert data["notices"] == [{"title": "医保网络故障", "body": "请到人工窗口办理", "components": ["医保接口"],
                                "published_at": "2026-11-22T09:00:00+08:00", "ends_at": None}]
    assert data["page"] == "http://testserver/status/"
    assert "incident" not in response.content.decode()


def test_private_components_stay_off_the_public_answers(client, components, open_incident, t0):
    Component.objects.create(key="core-db", name="核心数据库", public=False)
    open_incident(services=["核心数据库"])
    assert "核心数据库" not in client.get("/status/").content.decode()
    assert "核心数据库" not in client.get("/status.json").content.decode()
    assert client.get("/status.json").json()["state"] == "operational"


def test_banner_may_be_framed_and_says_the_newest_notice(client, components, make_user, t0):
    response = client.get("/status/banner/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "所有服务运行正常" in response.content.decode()
    liaison.publish(title="部分功能正在修复", user=make_user("zhangwei", Role.DUTY))
    assert "部分功能正在修复" in client.get("/status/banner/").content.decode()
    # Other pages still refuse to be framed.
    assert client.get("/status/")["X-Frame-Options"] == "DENY"


def test_banner_script_writes_the_line_where_it_stands(client, components, open_incident, t0):
    open_incident(level_id="L1", services=["挂号"])
    response = client.get("/status/banner.js")
    assert response["Content-Type"].startswith("text/javascript")
    script = response.content.decode()
    assert "挂号：暂停服务" in script
    assert "http://testserver/status/" in script

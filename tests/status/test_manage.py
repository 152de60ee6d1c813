"""The liaison's status page: who may change what, forms with CSRF, audited changes."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils.timezone import localtime

from lifeline.accounts.roles import Role
from lifeline.audit.models import AuditEntry
from lifeline.incidents import lifecycle
from lifeline.incidents.models import TimelineEntry
from lifeline.people.models import Member
from lifeline.status import services
from lifeline.status.models import Component, MaintenanceWindow, Notice, Override

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-9"


@pytest.fixture
def as_role(client, make_user):
    def log_in(role, username=None):
        user = make_user(username or f"user-{role.label}", role)
        client.force_login(user)
        return user

    return log_in


def state_of(name):
    return next(s.label for s in services.statuses() if s.component.name == name)


def test_department_staff_get_403_everywhere(client, as_role, components, t0):
    as_role(Role.DEPARTMENT)
    assert client.get("/status/manage/").status_code == 403
    assert client.post("/status/manage/overrides/", {"component": components["charging"].pk, "state": "outage",
                                                     "minutes": 30, "reason": "停机"}).status_code == 403
    assert client.post("/status/manage/components/new/", {"name": "食堂", "key": "canteen"}).status_code == 403
    assert client.get("/status/wall/").status_code == 403
    assert client.get("/status/wall.json").status_code == 403
    assert not Override.objects.exists() and not Component.objects.filter(key="canteen").exists()


def test_without_login_the_management_pages_send_to_the_login(client, components):
    assert client.get("/status/manage/")["Location"].startswith("/accounts/login/")
    assert client.get("/status/wall.json")["Location"].startswith("/accounts/login/")


def test_auditors_read_but_change_nothing(client, as_role, components, t0):
    as_role(Role.AUDITOR)
    page = client.get("/status/manage/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "只读" in text and "收费" in text
    assert 'id="notice-form"' not in text and 'id="component-form"' not in text
    assert client.post("/status/manage/notices/", {"title": "测试"}).status_code == 403
    assert client.post("/status/manage/maintenance/", {}).status_code == 403
    assert client.post(f"/status/manage/components/{components['charging'].key}/",
                       {"name": "改名", "key": "charging", "order": 1}).status_code == 403
    assert client.get("/status/wall.json").status_code == 200
    assert not Notice.objects.exists() and Component.objects.get(key="charging").name == "收费"


def test_duty_overrides_a_state_with_an_expiry_through_the_form(client, as_role, components, t0, clock):
    duty = as_role(Role.DUTY)
    response = client.post("/status/manage/overrides/", {
        "component": components["charging"].pk, "state": "outage", "minutes": 90, "reason": "收费系统切换"})
    assert response.status_code == 302
    assert state_of("收费") == "暂停服务"
    assert "暂停服务" in client.get("/status/").content.decode()
    entry = AuditEntry.objects.filter(object_type="status.override").get()
    assert entry.actor == duty and entry.changes["state"] == "outage"
    clock.advance(minutes=90)
    assert state_of("收费") == "正常"


def test_a_bad_override_says_which_field_and_changes_nothing(client, as_role, components, t0):
    as_role(Role.DUTY)
    response = client.post("/status/manage/overrides/", {
        "component": components["charging"].pk, "state": "outage", "minutes": 0, "reason": ""})
    assert response.status_code == 400
    form = response.context["override_form"]
    assert set(form.errors) == {"minutes", "reason"}
    assert not Override.objects.exists()


def test_commander_publishes_the_plans_patient_notice_for_the_open_incident(client, as_role, components,
                                                                             open_incident, t0):
    as_role(Role.COMMANDER)
    incident = open_incident(services=["医保接口"])
    page = client.get("/status/manage/")
    choices = dict(page.context["notice_form"].fields["template"].choices)
    assert f"{incident.pk}:repairing" in choices and f"{incident.pk}:hospital_broadcast" not in choices  # staff only
    response = client.post("/status/manage/notices/", {"template": f"{incident.pk}:official_account_fault"})
    assert response.status_code == 302
    notice = Notice.objects.get()
    assert notice.title == "故障信息" and "线下诊室加号" in notice.body
    assert [c.name for c in notice.components.all()] == ["医保接口"]
    assert incident.timeline.filter(kind=TimelineEntry.Kind.NOTICE, text__contains="故障信息").exists()
    assert "互联网医院部分业务暂时中断" in client.get("/status/").content.decode()

    client.post(f"/status/manage/notices/{notice.pk}/withdraw/")
    assert "互联网医院部分业务暂时中断" not in client.get("/status/").content.decode()
    assert incident.timeline.filter(kind=TimelineEntry.Kind.NOTICE, text__startswith="已从服务状态页撤下").exists()


def test_free_text_notice_needs_a_title(client, as_role, components, t0):
    as_role(Role.DUTY)
    response = client.post("/status/manage/notices/", {"body": "请到人工窗口办理"})
    assert response.status_code == 400
    assert "title" in response.context["notice_form"].errors
    client.post("/status/manage/notices/", {"title": "医保网络故障，请到人工窗口办理",
                                            "components": [components["insurance"].pk], "hours": 3})
    notice = Notice.objects.get()
    assert notice.ends_at == t0 + timedelta(hours=3)
    assert "医保网络故障，请到人工窗口办理" in client.get("/status/").content.decode()


def test_an_incidents_liaison_from_a_department_may_publish_for_it(client, make_user, components, open_incident, t0):
    nurse = make_user("huangli", Role.DEPARTMENT)
    member = Member.objects.create(name="黄丽", phone="13800000001", department="客服中心", user=nurse)
    incident = open_incident(services=["挂号"])
    lifecycle.assign(incident, "liaison", member)
    client.force_login(nurse)
    page = client.get("/status/manage/")
    assert page.status_code == 200 and 'id="component-form"' not in page.content.decode()
    assert client.post("/status/manage/notices/", {"template": f"{incident.pk}:repairing"}).status_code == 302
    assert client.post("/status/manage/maintenance/", {}).status_code == 403
    lifecycle.transition(incident, "acknowledged")
    lifecycle.transition(incident, "resolved")
    assert client.get("/status/manage/").status_code == 403  # the role ends with the incident


def test_maintenance_window_through_the_form_then_ended_early(client, as_role, components, t0, clock):
    as_role(Role.COMMANDER)
    start, end = t0 + timedelta(hours=1), t0 + timedelta(hours=3)
    fmt = "%Y-%m-%dT%H:%M"
    bad = client.post("/status/manage/maintenance/", {
        "components": [components["pharmacy"].pk], "starts_at": localtime(end).strftime(fmt),
        "ends_at": localtime(start).strftime(fmt)})
    assert bad.status_code == 400 and "ends_at" in bad.context["maintenance_form"].errors
    client.post("/status/manage/maintenance/", {
        "components": [components["pharmacy"].pk], "starts_at": localtime(start).strftime(fmt),
        "ends_at": localtime(end).strftime(fmt), "note": "药房系统升级"})
    window = MaintenanceWindow.objects.get()
    assert (window.starts_at, window.ends_at) == (start, end)
    clock.advance(hours=1)
    assert state_of("药房") == "维护中"
    clock.advance(minutes=30)
    client.post(f"/status/manage/maintenance/{window.pk}/end/")
    assert state_of("药房") == "正常"
    assert AuditEntry.objects.filter(object_type="status.maintenancewindow", action="update").exists()


def test_components_are_created_and_edited_by_commanders(client, as_role, components, open_incident, t0):
    as_role(Role.COMMANDER)
    response = client.post("/status/manage/components/new/", {
        "name": "体检", "key": "checkup", "order": 80, "public": "on", "plan_names": "Physical examination\n"})
    assert response.status_code == 302
    checkup = Component.objects.get(key="checkup")
    assert checkup.names == {"体检", "Physical examination"}
    duplicate = client.post("/status/manage/components/new/", {"name": "收费", "key": "charging2", "order": 1})
    assert duplicate.status_code == 400 and "name" in duplicate.context["component_form"].errors
    client.post("/status/manage/components/checkup/", {"name": "体检中心", "key": "checkup", "order": 80})
    checkup.refresh_from_db()
    assert checkup.name == "体检中心" and not checkup.public
    assert "体检中心" not in client.get("/status/").content.decode()


def test_forms_refuse_a_post_without_the_csrf_token(make_user, components):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("zhangwei", Role.DUTY))
    response = client.post("/status/manage/notices/", {"title": "无令牌"})
    assert response.status_code == 403
    assert not Notice.objects.exists()


def test_wall_feed_lists_components_probes_and_incidents_with_drills_marked(client, as_role, components,
                                                                          open_incident, t0):
    from lifeline.detection.models import Probe

    as_role(Role.DUTY)
    Probe.objects.create(name="挂号接口", kind=Probe.Kind.HTTP, component=components["registration"],
                         state=Probe.State.DOWN, last_error="connection refused")
    Probe.objects.create(name="收费接口", kind=Probe.Kind.HTTP, state=Probe.State.UP, last_latency_ms=6.1945)
    real = open_incident(level_id="L1", services=["挂号"])
    drill = open_incident(title="医保中断演练", services=["医保接口"], is_drill=True)
    data = client.get("/status/wall.json").json()
    assert data["now"] == "2026-11-22T09:00:00+08:00"
    assert {c["name"]: c["state"] for c in data["components"]}["挂号"] == "outage"
    assert {c["name"]: c["state"] for c in data["components"]}["医保接口"] == "operational"
    assert data["probes"] == [  # what the tiles say: the state in Chinese, whole milliseconds
        {"name": "挂号接口", "component": "挂号", "state": "down", "label": "故障", "latency_ms": None,
         "checked_at": None, "error": "connection refused"},
        {"name": "收费接口", "component": "", "state": "up", "label": "正常", "latency_ms": 6, "checked_at": None,
         "error": ""}]  # probes of no component last
    assert [(i["id"], i["drill"], i["level"]) for i in data["incidents"]] == [(drill.pk, True, "二级"),
                                                                              (real.pk, False, "一级")]
    assert data["incidents"][1]["opened_at"] == "2026-11-22T09:00:00+08:00"

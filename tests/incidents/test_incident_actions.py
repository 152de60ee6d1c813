"""Issue 13, the incident page's actions as people read them: buttons that say what they do,
resolving or closing with work still open only after a confirmation (the page and the API
alike), the checklist saying which step comes first, the incident's title called a title, the
reporter's page following the incident's state, and the triage and report numbers in range."""
import pytest
from django.contrib.auth import get_user_model

from lifeline.accounts.roles import Role
from lifeline.core.errors import Refused
from lifeline.incidents import intake, lifecycle
from lifeline.incidents.models import ChecklistItem, Incident, Report

pytestmark = pytest.mark.django_db
JSON = "application/json"
FIRST_STEP = "信息中心配合收费员确认为最新物价信息版本，同意进行使用"


@pytest.fixture(autouse=True)
def in_chinese(client, settings):
    """The hospital's language: these tests read the words people see."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"


@pytest.fixture
def downtime(load_seed, t0):
    """Seed 003's desktop emergency system: steps A..G (B..G after A) and ten duty cards."""
    load_seed("003")
    return lifecycle.open_incident(plan_id="general_hospital_his", title="HIS 停机",
                                   scenario_id="desktop_emergency_system")


@pytest.fixture
def duty(client, make_user):
    user = make_user("duty", Role.DUTY)
    client.force_login(user)
    return user


def html_of(client, incident) -> str:
    return client.get(f"/incidents/{incident.pk}/").content.decode()


def move(client, incident, status, **data):
    return client.post(f"/incidents/{incident.pk}/transition/", {"status": status, **data}, follow=True)


# --- 1. buttons say the action; resolving with work open asks first --------------------

def test_buttons_say_what_they_do_not_the_status_they_lead_to(client, duty, downtime):
    html = html_of(client, downtime)
    assert '<button type="submit" id="to-acknowledged" data-key="a">确认接手</button>' in html
    assert ">已确认</button>" not in html
    lifecycle.transition(downtime, "acknowledged")
    html = html_of(client, downtime)
    for button in ("开始排查", "标记已缓解", "标记已解决"):
        assert f">{button}</button>" in html
    lifecycle.transition(downtime, "mitigated")
    assert ">重新排查</button>" in html_of(client, downtime)


def test_the_domain_refuses_to_resolve_with_work_open_naming_it_and_changes_nothing(downtime):
    lifecycle.transition(downtime, "acknowledged")
    with pytest.raises(Refused) as refused:
        lifecycle.transition(downtime, "resolved")
    assert refused.value.status == 409
    said = refused.value.for_people()
    assert FIRST_STEP in said and "挂号处" in said and "收费处" in said
    downtime.refresh_from_db()
    assert downtime.status == "acknowledged" and downtime.resolved_at is None


def test_a_confirmed_resolution_writes_what_it_left_open_on_the_timeline(downtime):
    lifecycle.transition(downtime, "acknowledged")
    lifecycle.transition(downtime, "resolved", confirmed=True, note="已切换到桌面应急系统")
    moved, left = downtime.timeline.filter(kind="status").order_by("-pk")[:2][::-1]
    assert moved.data["new"] == "resolved" and moved.text == "状态 已确认 → 已解决：已切换到桌面应急系统"
    assert FIRST_STEP in left.data["left_steps"] and "挂号处" in left.data["left_cards"]
    assert left.text.startswith("经确认后继续。检查单中仍未完成的步骤：") and "挂号处" in left.text
    with pytest.raises(Refused):  # closing asks again: the record is final
        lifecycle.transition(downtime, "closed")
    lifecycle.transition(downtime, "closed", confirmed=True)
    assert Incident.objects.get().status == "closed"


def test_nothing_open_needs_no_confirmation(load_seed, t0):
    load_seed("004")
    plain = lifecycle.open_incident(plan_id="his_failure", title="打印机故障")
    lifecycle.transition(plain, "acknowledged")
    assert lifecycle.transition(plain, "resolved").status == "resolved"


def test_the_api_refuses_without_confirmation_in_the_one_error_shape(client, duty, downtime):
    path = f"/api/v1/incidents/{downtime.pk}/transition"
    client.post(path, {"status": "acknowledged"}, content_type=JSON)
    answer = client.post(path, {"status": "resolved"}, content_type=JSON)
    assert answer.status_code == 409
    errors = answer.json()["errors"]
    assert {e["field"] for e in errors} == {"confirmed"}
    text = " ".join(e["message"] for e in errors)
    assert FIRST_STEP in text and "收费处" in text
    assert Incident.objects.get().status == "acknowledged"
    answer = client.post(path, {"status": "resolved", "confirmed": True}, content_type=JSON)
    assert answer.status_code == 200 and answer.json()["status"] == "resolved"


def test_the_page_asks_on_a_page_listing_what_is_open_then_resolves(client, duty, downtime):
    lifecycle.transition(downtime, "acknowledged")
    asked = move(client, downtime, "resolved")
    html = asked.content.decode()
    assert asked.status_code == 200 and 'id="confirm-move"' in html
    assert f"<li>{FIRST_STEP}</li>" in html and "<li>挂号处</li>" in html
    assert ">标记已解决</button>" in html and 'name="confirmed" value="yes"' in html
    assert "<script" not in html.split('id="confirm-move"')[1]  # a form, no inline script
    assert Incident.objects.get().status == "acknowledged"
    done = move(client, downtime, "resolved", confirmed="yes")
    assert done.redirect_chain and Incident.objects.get().status == "resolved"


def test_a_move_out_of_order_is_still_refused_not_asked(client, duty, downtime):
    page = move(client, downtime, "closed")
    assert 'id="confirm-move"' not in page.content.decode()
    assert Incident.objects.get().status == "reported"


# --- 2. the checklist says which step comes first --------------------------------------

def test_a_step_waiting_for_another_says_so_and_has_no_tick_button(client, duty, downtime):
    lifecycle.transition(downtime, "acknowledged")
    html = html_of(client, downtime)
    second = downtime.checklist.get(step_id="B")
    row = html.split(f'data-item="{second.pk}"')[1].split("</tr>")[0]
    assert f"需先完成：{FIRST_STEP}" in row and 'class="tick"' not in row
    first = downtime.checklist.get(step_id="A")
    first_row = html.split(f'data-item="{first.pk}"')[1].split("</tr>")[0]
    assert 'class="tick"' in first_row and "需先完成" not in first_row
    client.post(f"/incidents/{downtime.pk}/tick/", {"item": first.pk})
    row = html_of(client, downtime).split(f'data-item="{second.pk}"')[1].split("</tr>")[0]
    assert 'class="tick"' in row and "需先完成" not in row
    assert ChecklistItem.objects.get(pk=first.pk).status == "done"


# --- 3. the incident's title is a title ------------------------------------------------

def test_the_incident_title_is_called_a_title_in_triage_and_the_admin(client, make_user, downtime):
    client.force_login(make_user("duty", Role.DUTY))
    triage = client.get("/incidents/triage/").content.decode()
    assert '<label for="id_title">事件标题</label>' in triage and "职务" not in triage
    client.force_login(get_user_model().objects.create_superuser("root", password="correct-horse-9"))
    change = client.get(f"/admin/incidents/incident/{downtime.pk}/change/").content.decode()
    assert "事件标题" in change and "职务" not in change


# --- 4. the reporter's page follows the state ------------------------------------------

def test_the_reporters_page_follows_the_state(client, make_user, load_seed, t0, clock):
    load_seed("004")
    nurse = make_user("nurse", Role.DEPARTMENT)
    sent = intake.submit_report(department="收费处", description="HIS 白屏", contact="8021", reporter=nurse)
    incident = lifecycle.open_incident(plan_id="his_failure", title="HIS 故障", reports=[sent.number])
    client.force_login(nurse)

    def state():
        html = client.get(f"/incidents/reports/{sent.number}/").content.decode()
        return html.split('id="report-state"')[1].split("</p>")[0]

    lifecycle.transition(incident, "acknowledged")
    assert "信息中心正在处理，事件状态：<strong>已确认</strong>" in state()
    clock.advance(minutes=40)
    lifecycle.transition(incident, "resolved", note="已切换备用服务器")
    resolved = state()
    assert "已恢复（2026-11-22 09:40），事件状态：<strong>已解决</strong>" in resolved
    assert "正在处理" not in resolved
    assert "信息中心的处理：已切换备用服务器" in client.get(f"/incidents/reports/{sent.number}/").content.decode()
    clock.advance(hours=1)
    lifecycle.transition(incident, "closed")
    assert "已关闭（2026-11-22 10:40），事件状态：<strong>已关闭</strong>" in state()


# --- 5. numbers in range, errors beside their fields -----------------------------------

@pytest.mark.parametrize("do", ["suggest", "open"])
@pytest.mark.parametrize("pct", ["500", "-1", "nan", "inf"])
def test_share_of_users_out_of_range_is_refused_beside_the_field(client, duty, load_seed, t0, do, pct):
    load_seed("004")
    page = client.post("/incidents/triage/", {"do": do, "title": "HIS 故障", "scenario": "his_failure/",
                                              "users_pct": pct})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<span class="errorlist" id="users_pct-error">受影响用户比例应为 0 到 100 之间的百分数' in html
    assert 'id="suggestion"' not in html
    assert not Incident.objects.exists()


def test_the_triage_form_bounds_the_share_of_users(client, duty, load_seed, t0):
    load_seed("004")
    html = client.get("/incidents/triage/").content.decode()
    assert 'name="users_pct" type="number" min="0" max="100" step="any"' in html
    page = client.post("/incidents/triage/", {"do": "suggest", "scenario": "his_failure/", "users_pct": "60",
                                              "scope": "whole"})
    assert 'id="suggestion"' in page.content.decode()


def test_people_affected_has_a_range_on_the_form_and_the_server(client, make_user, t0):
    client.force_login(make_user("duty", Role.DUTY))
    html = client.get("/incidents/hotline/").content.decode()
    assert 'name="people_affected"' in html and 'min="1"' in html and 'max="1000000"' in html
    page = client.post("/incidents/hotline/", {"source": "hotline", "department": "急诊", "description": "白屏",
                                               "people_affected": 2_000_000, "contact": "8120"})
    assert page.status_code == 200
    assert page.context["form"].errors["people_affected"] == [
        "受影响人数最多为 1000000；请填写受影响的人数，而不是记录条数"]
    assert not Report.objects.exists()


# --- from the walk: what the page showed raw -------------------------------------------

def test_the_timeline_names_the_system_and_the_reports_in_sentences(client, duty, downtime):
    html = html_of(client, downtime)
    timeline = html.split('id="timeline"')[1]
    assert '<span title="system">系统</span>' in timeline and ">system<" not in timeline
    assert "0 份报告。" in html.split('id="classification"')[1].split("</section>")[0]

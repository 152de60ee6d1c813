"""The incident pages: reporting, hotline, triage, the incident page, duty cards, the dashboard,
the problem tracking table and its Excel export, with who may do what."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from lifeline.accounts.roles import Role
from lifeline.incidents import intake, lifecycle
from lifeline.incidents.models import ChecklistItem, Incident, OutboxMessage, Report
from lifeline.people.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client, settings):
    """The pages in English: these tests check what the pages do, the i18n tests check the words."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def as_user(client, make_user):
    """Log the client in as a new user with a role (and a member record in a department, if given)."""

    def login(username, role, department=None):
        user = make_user(username, role)
        if department:
            Member.objects.create(name=username, phone=f"139{abs(hash(username)) % 10**8:08d}",
                                  department=department, user=user)
        client.force_login(user)
        return user

    return login


def report(department="收费处", text="HIS 登录后白屏", reporter=None, contact="分机 8021"):
    return intake.submit_report(department=department, description=text, contact=contact, reporter=reporter)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- reporting ---------------------------------------------------------------------------

def test_report_page_prefills_department_and_gives_a_number(client, as_user, t0):
    user = as_user("nurse", Role.DEPARTMENT, department="门诊收费处")
    page = client.get("/incidents/report/")
    assert page.status_code == 200
    assert page.context["form"].initial["department"] == "门诊收费处"
    sent = client.post("/incidents/report/", {"department": "门诊收费处", "workstation": "3 号窗口",
                                              "description": "HIS 白屏", "people_affected": 4, "contact": "8021"},
                       follow=True)
    stored = Report.objects.get()
    assert (stored.reporter, stored.source, stored.people_affected) == (user, Report.Source.PAGE, 4)
    assert stored.number == "BG-20261122-0001"
    assert stored.number in sent.content.decode()
    own = client.get(f"/incidents/reports/{stored.number}/")
    assert own.status_code == 200 and 'data-status="untriaged"' in own.content.decode()
    assert [r.number for r in client.get("/incidents/report/").context["mine"]] == [stored.number]


def test_report_without_description_is_refused_naming_the_field(client, as_user):
    as_user("nurse", Role.DEPARTMENT, department="药房")
    page = client.post("/incidents/report/", {"department": "药房", "description": "", "people_affected": 1,
                                              "contact": "8021"})
    assert page.status_code == 200
    assert "description" in page.context["form"].errors
    assert not Report.objects.exists()


def test_report_page_is_the_reporters_and_it_staffs_only(client, as_user, make_user, t0):
    mine = report(reporter=make_user("owner", Role.DEPARTMENT))
    as_user("other", Role.DEPARTMENT, department="药房")
    assert client.get(f"/incidents/reports/{mine.number}/").status_code == 403
    as_user("auditor", Role.AUDITOR)
    assert client.get(f"/incidents/reports/{mine.number}/").status_code == 200


def test_hotline_records_the_callers_contact(client, as_user, t0):
    as_user("nurse", Role.DEPARTMENT, department="药房")
    assert client.get("/incidents/hotline/").status_code == 403
    as_user("duty", Role.DUTY)
    client.post("/incidents/hotline/", {"source": "hotline", "department": "急诊", "description": "无法开医嘱",
                                        "people_affected": 3, "contact": "急诊护士站 8120"})
    stored = Report.objects.get()
    assert (stored.source, stored.reporter, stored.contact) == ("hotline", None, "急诊护士站 8120")


# --- triage ------------------------------------------------------------------------------

def test_department_staff_cannot_triage(client, as_user, load_seed, t0):
    load_seed("004")
    waiting = report()
    as_user("nurse", Role.DEPARTMENT, department="收费处")
    assert client.get("/incidents/triage/").status_code == 403
    answer = client.post("/incidents/triage/", {"do": "open", "reports": [waiting.number], "title": "HIS",
                                                "scenario": "his_failure/overall_fault"})
    assert answer.status_code == 403
    assert not Incident.objects.exists()


def test_auditor_reads_triage_but_cannot_act(client, as_user, load_seed, t0):
    load_seed("004")
    waiting = report()
    as_user("auditor", Role.AUDITOR)
    page = client.get("/incidents/triage/")
    assert page.status_code == 200 and waiting.number in page.content.decode()
    assert 'value="open"' not in page.content.decode()
    assert client.post("/incidents/triage/", {"do": "open", "reports": [waiting.number], "title": "HIS",
                                              "scenario": "his_failure/"}).status_code == 403


def test_duty_opens_an_incident_from_two_reports_with_a_scenario(client, as_user, load_seed, t0):
    load_seed("004")
    first, second = report("收费处"), report("挂号处", "挂号无法打印")
    as_user("duty", Role.DUTY)
    answer = client.post("/incidents/triage/", {"do": "open", "reports": [first.number, second.number],
                                                "title": "全院 HIS 瘫痪", "scenario": "his_failure/overall_fault",
                                                "scope": "whole", "users_pct": "80"})
    incident = Incident.objects.get()
    assert answer.url == f"/incidents/{incident.pk}/"
    assert (incident.scenario_id, incident.level_id) == ("overall_fault", "class_1")
    assert sorted(incident.reports.values_list("department", flat=True)) == ["挂号处", "收费处"]
    assert incident.checklist.exists()
    third = report("药房", "药房也不行")
    client.post("/incidents/triage/", {"do": "attach", "reports": [third.number], "incident": incident.pk})
    assert incident.reports.count() == 3


def test_triage_suggests_a_level_from_the_facts_without_opening_anything(client, as_user, load_seed, t0):
    load_seed("004")
    first, second = report("收费处"), report("挂号处")
    as_user("duty", Role.DUTY)
    page = client.post("/incidents/triage/", {"do": "suggest", "reports": [first.number, second.number],
                                              "scenario": "his_failure/terminal_fault", "scope": "whole",
                                              "title": "全院白屏"})
    suggestion = page.context["suggestion"]
    assert (suggestion["level"].id, suggestion["matched"]) == ("class_1", ["scope: whole hospital"])
    assert (suggestion["reports"], suggestion["departments"]) == (2, ["挂号处", "收费处"])
    assert 'value="全院白屏"' in page.content.decode()
    assert not Incident.objects.exists()
    bad = client.post("/incidents/triage/", {"do": "suggest", "scenario": "his_failure/", "users_pct": "lots"})
    assert "lots is not a number" in bad.context["form"].errors["users_pct"][0]  # beside the field


def test_triage_with_an_unknown_plan_says_so_and_opens_nothing(client, as_user, load_seed, t0):
    load_seed("004")
    waiting = report()
    as_user("duty", Role.DUTY)
    page = client.post("/incidents/triage/", {"do": "open", "reports": [waiting.number], "title": "x",
                                              "scenario": "no_such_plan/"})
    assert "no active plan no_such_plan" in page.context["form"].errors["scenario"][0]  # beside plan and scenario
    assert not Incident.objects.exists()
    assert Report.objects.get().incident is None


# --- the incident page -------------------------------------------------------------------

@pytest.fixture
def incident(load_seed, t0, make_user):
    load_seed("004")
    reporter = make_user("reporter", Role.DEPARTMENT)
    Member.objects.create(name="李护士", phone="13900000001", department="收费处", user=reporter)
    reports = [report(reporter=reporter).number, report("急诊", "无法开医嘱", contact="急诊 8120").number]
    return lifecycle.open_incident(plan_id="his_failure", title="局部 HIS 故障", reports=reports,
                                   scenario_id="regional_fault")


def post(client, incident, action, **data):
    return client.post(f"/incidents/{incident.pk}/{action}/", data, follow=True)


def test_incident_page_shows_everything_and_auditor_cannot_act(client, as_user, incident):
    as_user("auditor", Role.AUDITOR)
    page = client.get(f"/incidents/{incident.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    for part in ("Can the fault be recovered in a short time?", "Report the fault to the head",
                 "BG-20261122-0001", 'id="timeline"', 'id="timers"'):
        assert part in html
    assert 'id="to-acknowledged"' not in html
    assert client.post(f"/incidents/{incident.pk}/transition/", {"status": "acknowledged"}).status_code == 403
    incident.refresh_from_db()
    assert incident.status == "reported"


def test_acknowledging_tells_the_reporters_and_shows_on_their_page(client, as_user, incident):
    as_user("duty", Role.DUTY)
    page = post(client, incident, "transition", status="acknowledged")
    assert 'data-status="acknowledged"' in page.content.decode()
    told = OutboxMessage.objects.filter(role="reporter")
    assert sorted((m.member.name if m.member else m.contact) for m in told) == ["急诊 8120", "李护士"]
    client.force_login(incident.reports.get(department="收费处").reporter)
    own = client.get("/incidents/reports/BG-20261122-0001/")
    assert 'data-status="acknowledged"' in own.content.decode()


def test_a_transition_out_of_order_is_refused_and_changes_nothing(client, as_user, incident):
    as_user("duty", Role.DUTY)
    page = post(client, incident, "transition", status="closed")
    assert any("an incident that is reported cannot become closed" in m for m in messages_of(page))
    assert not any(m.startswith("status:") for m in messages_of(page))  # people read sentences, not field keys
    incident.refresh_from_db()
    assert incident.status == "reported"


def test_only_a_commander_changes_the_level(client, as_user, incident):
    as_user("duty", Role.DUTY)
    response = client.post(f"/incidents/{incident.pk}/reclassify/", {"level": "class_1", "reason": "扩散"})
    assert response.status_code == 403
    as_user("chief", Role.COMMANDER)
    post(client, incident, "reclassify", level="class_1", reason="扩散到全院")
    incident.refresh_from_db()
    assert incident.level_id == "class_1"
    assert incident.timeline.filter(kind="level", text__contains="扩散到全院").exists()


def test_checklist_tree_note_and_reminder_from_the_page(client, as_user, incident, clock):
    as_user("duty", Role.DUTY)
    first = incident.checklist.get(step_id="report")
    post(client, incident, "tick", item=first.pk)
    skipped = incident.checklist.get(step_id="find_cause")
    page = post(client, incident, "skip", item=skipped.pk, reason="")
    assert any("say why the step is skipped" in m for m in messages_of(page))
    post(client, incident, "skip", item=skipped.pk, reason="原因已知")
    post(client, incident, "answer", node="short_time", answer="No")
    post(client, incident, "note", text="厂商 10 分钟后到场")
    post(client, incident, "reminder", minutes="15", text="确认主备")
    statuses = dict(incident.checklist.values_list("step_id", "status"))
    assert (statuses["report"], statuses["find_cause"]) == (ChecklistItem.Status.DONE, ChecklistItem.Status.SKIPPED)
    page = client.get(f"/incidents/{incident.pk}/")
    html = page.content.decode()
    assert "What caused the regional fault?" in html and "厂商 10 分钟后到场" in html and "确认主备" in html
    assert incident.timers.filter(kind="reminder", due_at=clock.now() + timedelta(minutes=15)).exists()


def test_unknown_action_is_not_found(client, as_user, incident):
    as_user("duty", Role.DUTY)
    assert client.post(f"/incidents/{incident.pk}/explode/").status_code == 404


# --- duty cards --------------------------------------------------------------------------

@pytest.fixture
def downtime(load_seed, t0):
    load_seed("003")
    return lifecycle.open_incident(plan_id="general_hospital_his", title="HIS 停机", is_drill=True,
                                   scenario_id="desktop_emergency_system")


def test_a_department_sees_and_acknowledges_its_own_card(client, as_user, downtime):
    as_user("cashier", Role.DEPARTMENT, department="收费处")
    page = client.get("/incidents/duty-cards/")
    html = page.content.decode()
    assert "收费处" in html and "挂号处" not in html and "演练" in html
    registration = downtime.duty_cards.get(department="挂号处")
    refused = post(client, downtime, "card", card=registration.card_id, next="/incidents/duty-cards/")
    assert any("only 挂号处 or the command centre" in m for m in messages_of(refused))
    post(client, downtime, "card", card="cashier", next="/incidents/duty-cards/")
    assert downtime.duty_cards.get(card_id="cashier").acknowledged_at is not None
    assert downtime.duty_cards.get(card_id="registration").acknowledged_at is None


# --- the dashboard -----------------------------------------------------------------------

def test_dashboard_lists_open_incidents_and_who_has_not_acknowledged(client, as_user, downtime, incident):
    lifecycle.transition(incident, "acknowledged")
    lifecycle.transition(incident, "resolved", confirmed=True)
    lifecycle.assign(downtime, "duty_it", Member.objects.create(name="值班工程师", phone="13700000002"))
    as_user("auditor", Role.AUDITOR)
    page = client.get("/incidents/")
    rows = page.context["incidents"]
    assert [i.pk for i in rows] == [downtime.pk]
    html = page.content.decode()
    assert "演练" in html and "挂号处" in html and "data-refresh" in html
    assert "信息中心值班人员: 值班工程师" in html and "duty_it" not in html  # the plan's title, not its id
    fragment = client.get("/incidents/board/")
    assert fragment.status_code == 200 and "HIS 停机" in fragment.content.decode()


def test_department_staff_land_on_the_report_page(client, as_user):
    as_user("nurse", Role.DEPARTMENT, department="药房")
    assert client.get("/incidents/").url == "/incidents/report/"
    assert client.get("/incidents/board/").status_code == 403


# --- the tracking table ------------------------------------------------------------------

@pytest.fixture
def golive(load_seed, t0):
    load_seed("000")
    owner = Member.objects.create(name="王组长", phone="13700000001")
    serious = lifecycle.open_incident(plan_id="procurement_platform_golive", title="采购单报错",
                                      category_id="serious", reports=[report("采购科", "提交采购单报错").number])
    lifecycle.assign(serious, "commander", owner)
    lifecycle.assign(serious, "vendor", Member.objects.create(name="厂商张工", phone="13700000009"))
    lifecycle.transition(serious, "acknowledged")
    lifecycle.transition(serious, "resolved", note="修复代码并发布")
    general = lifecycle.open_incident(plan_id="procurement_platform_golive", title="菜单数据不全",
                                      category_id="general", is_drill=True)
    report("药库", "配送单看不到")
    return owner, serious, general


def test_tracking_table_rows_and_filters(client, as_user, golive):
    owner, serious, general = golive
    as_user("auditor", Role.AUDITOR)
    page = client.get("/incidents/tracking/")
    rows = {r["number"]: r for r in page.context["rows"]}
    assert set(rows) == {f"#{serious.pk}", f"#{general.pk}", "BG-20261122-0002"}
    row = rows[f"#{serious.pk}"]
    assert (row["category"], row["owner"], row["vendor"], row["result"]) == ("严重问题", "王组长", "厂商张工",
                                                                          "修复代码并发布")
    assert rows["BG-20261122-0002"]["status"] == "untriaged"
    only_general = client.get("/incidents/tracking/?category=general")
    assert [r["number"] for r in only_general.context["rows"]] == [f"#{general.pk}"]
    real = client.get("/incidents/tracking/?drill=none&status=resolved")
    assert [r["number"] for r in real.context["rows"]] == [f"#{serious.pk}"]
    bad = client.get("/incidents/tracking/?since=yesterday")
    assert any("yesterday is not a date like 2026-11-22" in m for m in messages_of(bad))


def test_tracking_export_holds_the_filtered_rows(client, as_user, golive):
    _owner, serious, _general = golive
    as_user("duty", Role.DUTY)
    answer = client.get("/incidents/tracking.xlsx?drill=none")
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("No.", "Reported or opened at", "Problem")
    numbers = [r[0] for r in rows[1:]]
    assert numbers == ["BG-20261122-0002", f"#{serious.pk}"]
    assert (rows[2][5], rows[2][7], rows[2][8], rows[2][12]) == ("严重问题", "王组长", "厂商张工", "修复代码并发布")
    api = client.get("/api/v1/incidents/tracking.xlsx?category=serious")
    assert api.status_code == 200
    api_rows = list(load_workbook(io.BytesIO(api.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in api_rows[1:]] == [f"#{serious.pk}"]
    assert client.get("/api/v1/incidents/tracking.xlsx?until=soon").status_code == 400


def test_department_staff_cannot_read_the_tracking_table(client, as_user):
    as_user("nurse", Role.DEPARTMENT, department="药房")
    assert client.get("/incidents/tracking/").status_code == 403
    assert client.get("/incidents/tracking.xlsx").status_code == 403
    assert client.get("/api/v1/incidents/tracking.xlsx").status_code == 403

"""A fault from report to incident in a real headless Chromium: the department reports, the
person on duty opens an incident from it, acknowledges and ticks a step, the reporter sees it."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.incidents import lifecycle
from lifeline.incidents.models import ChecklistItem, Incident
from lifeline.people.models import Member
from lifeline.plans import services as plans
from tests.plans.seeds import bundled_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def his_plan(db):
    plans.load_files([bundled_file("004")])


def test_department_reports_duty_runs_the_incident_reporter_sees_it(
        browser, page, live_server, login, make_user, his_plan):
    nurse = make_user("linan", Role.DEPARTMENT)
    Member.objects.create(name="林楠", phone="13900000011", department="门诊收费处", user=nurse)
    make_user("zhangwei", Role.DUTY)

    login(page, "linan", next_path="/incidents/")
    assert page.url.endswith("/incidents/report/")  # department staff land on the report page
    assert page.input_value("#id_department") == "门诊收费处"
    page.fill("#id_workstation", "3 号窗口")
    page.fill("#id_description", "HIS 登录后白屏，无法收费")
    page.fill("#id_people_affected", "6")
    page.click("#report-form button[type=submit]")
    number = page.locator("#report-number").inner_text()
    assert number.startswith("BG-")
    page.goto(f"{live_server.url}/incidents/reports/{number}/")
    assert page.locator("#report-state").get_attribute("data-status") == "untriaged"

    duty = browser.new_context(locale="zh-CN").new_page()
    login(duty, "zhangwei", next_path="/incidents/triage/")
    duty.check(f"#pick-{number}")
    duty.fill("#id_title", "门诊收费 HIS 白屏")
    duty.select_option("#id_scenario", "his_failure/regional_fault")
    duty.click("button[name=do][value=open]")
    duty.wait_for_url("**/incidents/*/")
    assert duty.locator("#status").get_attribute("data-status") == "reported"

    duty.keyboard.press("a")  # the keymap: a acknowledges
    duty.wait_for_selector("#status[data-status=acknowledged]")
    duty.locator("tr.step.open button.tick").first.click()
    duty.wait_for_selector("tr.step[data-status=done]")
    incident = Incident.objects.get()
    assert incident.status == "acknowledged"
    assert incident.checklist.filter(status=ChecklistItem.Status.DONE).count() == 1
    duty.context.close()

    page.reload()
    assert page.locator("#report-state").get_attribute("data-status") == "acknowledged"
    assert page.locator("ol.progress li.done").count() == 2  # reported, acknowledged


def test_dashboard_refreshes_itself_and_counts_down(page, live_server, login, make_user, his_plan):
    make_user("zhangwei", Role.DUTY)
    login(page, "zhangwei", next_path="/incidents/")
    assert page.locator("tr[data-incident]").count() == 0
    incident = lifecycle.open_incident(plan_id="his_failure", title="挂号处白屏", scenario_id="regional_fault")
    row = page.locator(f"tr[data-incident='{incident.pk}']")
    row.wait_for(timeout=20000)  # the board reloads its table every 8 s, without a page load
    countdown = row.locator("[data-until]").last
    first = countdown.inner_text()
    # It ticks client-side from the server's timestamps.
    page.wait_for_function("([el, text]) => el.textContent !== text", arg=[countdown.element_handle(), first])

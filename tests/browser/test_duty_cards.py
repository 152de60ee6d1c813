"""Plan 003's downtime drill in a real headless Chromium: the commander maps the plan's card
departments on the plan page, a department user (门诊部) sees the registration card and
acknowledges it, and IT on duty sees on the incident page who has seen and acknowledged it."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.incidents import lifecycle
from lifeline.people.models import Member
from lifeline.plans import services as plans
from tests.plans.seeds import bundled_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAN = "general_hospital_his"


def test_a_department_user_sees_and_acknowledges_their_card_and_it_sees_who(
        browser, page, live_server, login, make_user):
    plans.load_files([bundled_file("003")])
    make_user("boss", Role.COMMANDER)
    clerk = make_user("zhaomin", Role.DEPARTMENT)
    clerk.first_name = "赵敏"
    clerk.save()
    Member.objects.create(name="赵敏", phone="13900000021", department="门诊部", user=clerk)
    make_user("zhangwei", Role.DUTY)
    incident = lifecycle.open_incident(plan_id=PLAN, title="桌面应急演练", scenario_id="desktop_emergency_system",
                                       level_id="level_1", is_drill=True)

    # Before the mapping: the card reaches nobody at 门诊部, and the plan page says so.
    login(page, "zhaomin", next_path="/incidents/duty-cards/")
    assert page.locator("section.card").count() == 0
    commander = browser.new_context(locale="zh-CN").new_page()
    login(commander, "boss", next_path=f"/plans/{PLAN}/")
    assert "挂号处" in commander.locator("#unmatched-departments").inner_text()
    commander.fill("input[aria-label='挂号处']", "门诊部")
    with commander.expect_navigation():
        commander.click("table.department-map ~ button[type=submit]")
    assert commander.locator("table.department-map tr.matched td").first.inner_text() == "挂号处"
    commander.context.close()

    page.reload()
    card = page.locator(f"#card-{incident.pk}-registration")
    assert card.count() == 1 and page.locator("section.card").count() == 1
    assert "常备手工挂号单据" in card.inner_text()
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    assert "已确认" in page.locator(f"#card-{incident.pk}-registration").inner_text()

    duty = browser.new_context(locale="zh-CN").new_page()
    login(duty, "zhangwei", next_path=f"/incidents/{incident.pk}/")
    row = duty.locator("#duty-card-registration").inner_text()
    assert "已查看" in row and "赵敏" in row and "已确认" in row
    assert "尚未查看" in duty.locator("#duty-card-triage").inner_text()
    duty.context.close()

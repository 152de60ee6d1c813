"""The incident page's moves in a real headless Chromium (issue 13): the buttons say what they do,
a step waiting for another says which, and resolving plan 003's downtime with steps and duty
cards still open stops on a page listing them until IT on duty confirms."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.incidents import lifecycle
from lifeline.incidents.models import Incident
from lifeline.plans import services as plans
from tests.plans.seeds import bundled_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_STEP = "信息中心配合收费员确认为最新物价信息版本，同意进行使用"


def test_buttons_say_the_action_and_resolving_with_work_open_asks_first(page, live_server, login, make_user):
    plans.load_files([bundled_file("003")])
    make_user("zhangwei", Role.DUTY)
    incident = lifecycle.open_incident(plan_id="general_hospital_his", title="HIS 停机",
                                       scenario_id="desktop_emergency_system")
    login(page, "zhangwei", next_path=f"/incidents/{incident.pk}/")
    assert page.locator("section.actions button").all_inner_texts() == ["确认接手"]
    second = page.locator("tr.step").nth(1)
    assert f"需先完成：{FIRST_STEP}" in second.inner_text() and second.locator("button.tick").count() == 0

    page.click("#to-acknowledged")
    page.wait_for_selector("#status[data-status=acknowledged]")
    assert page.locator("section.actions button").all_inner_texts() == ["开始排查", "标记已缓解", "标记已解决"]

    page.click("#to-resolved")
    page.wait_for_selector("#confirm-move")
    assert FIRST_STEP in page.locator("#open-steps").inner_text()
    assert "挂号处" in page.locator("#open-cards").all_inner_texts()[0]
    assert Incident.objects.get().status == "acknowledged"  # asked, not done
    page.click("#back")
    page.wait_for_selector("#status[data-status=acknowledged]")

    page.click("#to-resolved")
    page.click("#confirm")
    page.wait_for_selector("#status[data-status=resolved]")
    assert page.locator("section.actions button").all_inner_texts() == ["关闭事件"]
    assert "经确认后继续。检查单中仍未完成的步骤：" in page.locator("#timeline").inner_text()

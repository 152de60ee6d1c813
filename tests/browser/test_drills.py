"""A drill in a real headless Chromium: IT on duty opens the planned network-outage drill of
seed 001 on a 390 px phone, starts it (a drill-mode incident opens), and two minutes later (the
injected clock jumped) records "detected" with a button: the milestone shows against its target."""
import pytest

from lifeline.drills.models import Drill, MilestoneRecord
from tests.drills.conftest import drill, morning, people, plan_001  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_it_on_duty_starts_a_drill_and_records_a_milestone_on_a_phone(page, login, drill, morning, people):
    page.set_viewport_size(PHONE)
    login(page, "zhangwei", next_path=f"/drills/{drill.pk}/")
    assert "网络中断" in page.locator("h1").inner_text()
    with page.expect_navigation():
        page.click("button:has-text('开始演练')")
    assert "演练已开始" in page.locator(".messages").inner_text()
    assert page.locator("#drill-status").inner_text() == "进行中"
    assert Drill.objects.get().incident.is_drill

    morning.advance(minutes=2)
    with page.expect_navigation():
        page.click("button:has-text('记录：发现故障')")
    row = page.locator("#milestones tr", has_text="发现故障").inner_text()
    assert "≤ 1 分钟" in row and "2.0 分钟" in row and "超出目标 1 分钟" in row
    assert page.locator("button:has-text('记录：发现故障')").count() == 0
    assert MilestoneRecord.objects.get().source == "button"
    assert page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]") == [390, 390]
    page.screenshot(path="/tmp/shots18d/browser-drill-390.png", full_page=True)

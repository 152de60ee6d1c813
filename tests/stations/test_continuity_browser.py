"""The continuity page in a real headless Chromium: reached from the navigation, it shows the
builds and their charts."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.stations import registry
from tests.snapshots.helpers import snapshot_dir  # noqa: F401
from tests.stations.chains import chain, small_his  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_duty_opens_emergency_data_from_the_menu_and_sees_builds_and_charts(page, live_server, login, make_user,
                                                                              chain):
    registry.create(name="挂号-01", department="门诊挂号")
    make_user("zhangwei", Role.DUTY)
    login(page, "zhangwei")
    with page.expect_navigation():
        page.click("nav >> text=应急数据")
    assert page.url == f"{live_server.url}/continuity/"
    assert page.locator("h1").inner_text() == "应急数据"
    builds = page.locator("table.builds tbody tr")
    assert builds.count() == 2
    assert builds.nth(0).locator("td").nth(1).inner_text() == "增量"
    assert builds.nth(1).locator("td").nth(2).inner_text() == "已发布"
    size_chart = page.locator("svg.chart[aria-label='包大小']")
    assert size_chart.is_visible() and size_chart.locator("rect").count() == 2
    assert size_chart.bounding_box()["height"] > 100
    assert page.locator("svg.chart[aria-label='构建耗时']").is_visible()
    station = page.locator("tr[data-station='挂号-01']")
    assert station.get_attribute("class") == "stale" and "尚无数据" in station.inner_text()
    colour = station.locator("td").first.evaluate("td => getComputedStyle(td).backgroundColor")
    assert colour == "rgb(253, 228, 225)"  # highlighted

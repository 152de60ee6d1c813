"""An alert no plan routes shows red on the command dashboard and the status wall, in a real
headless Chromium, without anyone reloading."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.detection import alerts, integrations
from lifeline.detection.models import Integration
from lifeline.plans import services as plans
from lifeline.status.models import Component
from tests.plans.seeds import bundled_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RED_BORDER = "rgb(179, 38, 30)"  # lifeline.css --accent
WALL_RED = "rgb(198, 40, 40)"  # wall.css .down / #unrouted li


@pytest.fixture
def unrouted_source(db):
    """Plan 001 active; a webhook without a plan whose default component no scenario names."""
    plans.load_files([bundled_file("001")])
    lab = Component.objects.create(key="lis", name="检验系统")
    integration = Integration(kind="webhook", name="机房 Zabbix 转发", component=lab)
    integrations.save_new(integration)

    def fire(summary="检验接口超时", fingerprint="lis-down"):
        alerts.raise_signal(source=integration.source, fingerprint=fingerprint, firing=True, summary=summary,
                            component=lab, origin=integration.name)

    return fire


def test_an_unrouted_group_shows_red_on_the_board_and_the_wall(page, live_server, login, make_user, unrouted_source):
    make_user("zhangwei", Role.DUTY)
    login(page, "zhangwei", next_path="/incidents/")
    page.set_viewport_size({"width": 1440, "height": 900})
    assert page.locator("#attention").count() == 0

    unrouted_source()
    box = page.locator("#attention")
    box.wait_for(timeout=12000)  # the board refreshes itself every 8 s
    item = box.locator("li", has_text="检验系统：检验接口超时")
    assert "机房 Zabbix 转发" in item.inner_text() and "未路由的告警" in item.inner_text()
    assert box.evaluate("el => getComputedStyle(el).borderLeftColor") == RED_BORDER
    assert item.locator("a").evaluate("el => getComputedStyle(el).color") == RED_BORDER

    page.goto(f"{live_server.url}/status/wall/")
    page.set_viewport_size({"width": 1920, "height": 1080})
    tile = page.locator("#unrouted li", has_text="检验系统：检验接口超时")
    tile.wait_for()
    assert page.locator("#unrouted-section").is_visible()
    assert tile.evaluate("el => getComputedStyle(el).backgroundColor") == WALL_RED
    assert "机房 Zabbix 转发" in tile.locator(".meta").inner_text()

    unrouted_source(summary="检验报告回传失败", fingerprint="lis-report")  # the wall polls every 2 s
    page.locator("#unrouted li", has_text="检验报告回传失败").wait_for(timeout=6000)

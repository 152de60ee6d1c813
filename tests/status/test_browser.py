"""The status page and the wall in a real headless Chromium."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.status import liaison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_opens_the_status_page_without_logging_in_and_reads_the_notice(
        page, live_server, components, open_incident, make_user):
    incident = open_incident(title="医保前置机宕机", services=["医保接口"])
    liaison.publish_template(f"{incident.pk}:repairing", user=make_user("zhangwei", Role.DUTY))
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/status/")
    assert page.url == f"{live_server.url}/status/"
    notice = page.locator(".notice h3")
    assert notice.inner_text() == "部分功能正在修复"
    row = page.locator("ul.components li", has_text="医保接口")
    assert row.locator(".state").inner_text() == "部分功能受影响"
    assert page.locator("ul.components li", has_text="挂号").locator(".state").inner_text() == "正常"
    assert "医保前置机宕机" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling


def test_the_wall_shows_a_new_incident_without_a_reload_and_its_elapsed_time_ticks(
        page, live_server, login, components, open_incident, make_user):
    make_user("zhangwei", Role.DUTY)
    login(page, "zhangwei", next_path="/status/wall/")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.locator("#components .tile", has_text="挂号").wait_for()
    assert page.locator("#no-incidents").is_visible()
    page.evaluate("window.sameDocument = true")

    incident = open_incident(title="挂号系统无法登录", level_id="L1", services=["挂号"])
    drill = open_incident(title="收费切换演练", services=["收费"], is_drill=True)

    item = page.locator("#incidents li", has_text="挂号系统无法登录")
    item.wait_for(timeout=6000)  # the wall polls every 2 s
    assert page.evaluate("window.sameDocument") is True
    assert item.locator(".meta").inner_text().startswith("一级")
    assert page.locator("#incidents li.drill .title").inner_text() == f"【演练】#{drill.pk} 收费切换演练"
    assert "outage" in page.locator("#components .tile", has_text="挂号").get_attribute("class")
    assert "operational" in page.locator("#components .tile", has_text="收费").get_attribute("class")
    elapsed = page.locator(f'#incidents li[data-id="{incident.pk}"] .elapsed')
    first = elapsed.inner_text()
    page.wait_for_function("([el, text]) => el.textContent !== text", arg=[elapsed.element_handle(), first])


LONG_NOTICE = ("医保网络故障：医保结算暂停，请患者先自费结算，保留票据，待网络恢复后到一楼医保窗口办理退费和医保结算，"
               "给您带来不便，敬请谅解")

ELLIPSIS = """el => ({cut: el.scrollWidth > el.clientWidth, style: getComputedStyle(el).textOverflow,
                      wraps: getComputedStyle(el).whiteSpace !== "nowrap", title: el.closest("[title]")?.title})"""


def _the_line_is_ellipsised_on_a_phone(page, line):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    shown = line.evaluate(ELLIPSIS)
    assert shown["cut"] and shown["style"] == "ellipsis" and not shown["wraps"]  # ends with "…"
    assert shown["title"] == LONG_NOTICE  # the whole line, on a hover or a long press


def test_a_long_banner_ends_with_an_ellipsis_on_a_phone_and_keeps_the_whole_line(
        page, live_server, components, make_user):
    title, body = LONG_NOTICE.split("：", 1)
    liaison.publish(title=title, body=body, user=make_user("zhangwei", Role.DUTY))
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/status/banner/")  # what an <iframe> as wide as the phone shows
    _the_line_is_ellipsised_on_a_phone(page, page.locator("a .line"))
    assert page.locator("a").get_attribute("href") == f"{live_server.url}/status/"  # the notice in full

    page.goto(f"{live_server.url}/status/")
    page.set_content(f'<!DOCTYPE html><meta name="viewport" content="width=device-width"><body>'
                     f'<script src="{live_server.url}/status/banner.js"></script><p>医院首页</p></body>')
    _the_line_is_ellipsised_on_a_phone(page, page.locator("a.lifeline-status-banner"))

"""The status wall's clock in the hospital's zone on a screen set to UTC; the header on a phone
wraps by word, never one character per line; countdowns in Chinese units."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from lifeline.accounts.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_wall_clock_shows_the_hospitals_zone_on_a_utc_screen(browser, live_server, make_user):
    make_user("zhangwei", Role.DUTY)
    context = browser.new_context(locale="zh-CN", timezone_id="UTC")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/status/wall/")
        page.fill("#id_username", "zhangwei")
        page.fill("#id_password", "correct-horse-9")
        page.click("button[type=submit]")
        expect(page.locator("#clock")).to_have_text(re.compile(r"\d+:\d\d:\d\d"))  # (the CSP forbids eval)
        shown = page.locator("#clock").inner_text()
        hospital = datetime.now(ZoneInfo("Asia/Shanghai"))
        hour = int(shown.split(":")[0]) % 24
        assert hour in {hospital.hour, (hospital.hour + 1) % 24, (hospital.hour - 1) % 24}, (shown, hospital)
        assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"
    finally:
        context.close()


def test_the_header_wraps_by_word_on_a_phone(page, live_server, login, make_user):
    make_user("zhangwei", Role.DUTY)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "zhangwei", next_path="/incidents/")
    heights = page.evaluate("""[...document.querySelectorAll('.topbar nav a')].map(a => {
        const r = a.getBoundingClientRect(); return [a.innerText, r.height, r.width]; })""")
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.topbar nav a')).lineHeight) || 24")
    for text, height, _width in heights:
        assert height < 2 * line, f"{text!r} wraps: {height} px high"
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")

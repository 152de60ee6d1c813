"""Issue 15's done-when in Chromium: at a station in downtime a cashier finds a patient by pinyin
initials, charges two items with an insurance number and prints the receipt (the print layout
with its QR code); a pharmacist at a second station (a second serve process, same package)
dispenses it by the receipt's code. Then every page at 1366x768 and 390x844, screenshots in
/tmp/shotsws/, with no Content-Security-Policy violation. And the issue's goal for the window: a
trained cashier finds a patient and charges two items in under a minute, keyboard only."""
import time
from pathlib import Path

import pytest

from tests.workstation.served import PASSWORD, Served, station_dir

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shotsws")


@pytest.fixture(scope="module")
def stations(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    first = station_dir(root / "S1")
    second = station_dir(root / "S2", keys_file=first / "station-keys.json", lease_base=200_001)
    served = [Served(first, "收费1"), Served(second, "药房1")]
    yield served
    for one in served:
        one.stop()


def _desk(browser, width, height):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15000)
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return context, page, violations


def _declare_downtime(page, url):
    page.goto(url + "/")
    page.select_option("select[name=mode]", "emergency")
    page.fill("input[name=code]", "0901")
    page.fill("input[name=pin]", PASSWORD)
    page.fill("input[name=reason]", "HIS 数据库宕机")
    _submit(page, "form[action='/mode/'] button[type=submit]")  # is_visible does not wait for the answer
    assert page.locator(".bar .mode-emergency").is_visible()


def _sign_in(page, url, code):
    page.goto(url + "/login/")
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".bar .who", has_text=code).is_visible()


def _submit(page, button="main form button[type=submit]"):
    """Submit and wait for the answer (a goto right after would abort the post)."""
    with page.expect_navigation():
        page.click(button) if button else page.keyboard.press("Enter")


def _shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, timeout=60000)


def test_cashier_charges_and_a_pharmacist_at_another_station_dispenses_by_the_receipt(browser, stations):
    cashier_station, pharmacy_station = stations
    context, page, violations = _desk(browser, 1366, 768)
    _declare_downtime(page, cashier_station.url)
    _sign_in(page, cashier_station.url, "0201")
    page.keyboard.press("F2")
    page.wait_for_url("**/patients/")
    page.select_option("#way", "initials")
    page.fill("input[name=q]", "ls")
    page.keyboard.press("Enter")
    row = page.locator("table.patients tbody tr", has_text="李四")
    row.locator("a.charge-link").click()
    page.click("main button[type=submit]")  # the price version, confirmed with IT
    page.fill("input[name=invoice_no]", "1000")
    page.keyboard.press("Enter")
    page.wait_for_url("**/charge/?card_no=C0002*")
    assert page.input_value("input[name=insurance_no]") == "YB0002"
    page.fill("input[name='lines.0.item_code']", "F001")
    page.fill("input[name='lines.0.quantity']", "1")
    page.fill("input[name='lines.1.item_code']", "Y001")
    page.fill("input[name='lines.1.quantity']", "2")
    page.fill("input[name=insurance_no]", "YB0002")
    page.fill("input[name=insurance_unit]", "某某机械厂")
    page.select_option("select[name=payment_method]", "wechat")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/charges/*/")
    assert page.locator(".total").inner_text() == "¥50.00"
    code = page.locator(".code-text").inner_text()
    page.emulate_media(media="print")
    assert page.locator("svg.qr").is_visible() and not page.locator("header.bar").is_visible()
    assert page.locator(".receipt").get_by_text("YB0002").is_visible()
    page.pdf(path=str(SHOTS / "receipt-a5.pdf")) if SHOTS.exists() else None
    _shot(page, "receipt-print-1366")
    page.emulate_media(media="screen")
    context.close()

    context, page, more = _desk(browser, 1366, 768)
    _declare_downtime(page, pharmacy_station.url)
    _sign_in(page, pharmacy_station.url, "0301")
    page.keyboard.press("F8")
    page.wait_for_url("**/dispense/")
    page.fill("input[name=code]", code)
    page.keyboard.press("Enter")
    assert "阿莫西林胶囊 × 2" in page.locator(".dispensed").inner_text()
    context.close()
    assert violations + more == []


KEY_DELAY_MS = 80  # a trained cashier's typing, key by key


def _wait_for_cursor(page, name):
    """Until the field `name` has the cursor (autofocus is applied a moment after the load)."""
    page.wait_for_function("name => document.activeElement && document.activeElement.name === name", arg=name)


def test_a_trained_cashier_finds_a_patient_and_charges_two_items_in_under_a_minute(browser, tmp_path):
    """Keyboard only, by the documented keymap (help page): F2, Shift+Tab and ↓ to the pinyin
    initials, the initials, Enter; F4 charges the first patient found; two codes and quantities
    with Tab between, Enter. Timed from F2 to the receipt on screen. The start of the shift (sign-
    in, the price version confirmed, the invoice number) is before the clock starts."""
    served = Served(station_dir(tmp_path / "S3"), "收费3")
    context, page, violations = _desk(browser, 1366, 768)
    try:
        _declare_downtime(page, served.url)
        _sign_in(page, served.url, "0201")
        page.goto(served.url + "/prices/")
        _submit(page, "main button[type=submit]")
        page.goto(served.url + "/invoice/")
        page.fill("input[name=invoice_no]", "1000")
        _submit(page, None)
        page.goto(served.url + "/")
        typed = 0

        def type_(text):
            nonlocal typed
            page.keyboard.type(text, delay=KEY_DELAY_MS)
            typed += len(text)

        started = time.monotonic()
        page.keyboard.press("F2")
        page.wait_for_url("**/patients/")
        _wait_for_cursor(page, "q")  # the cashier types once the cursor is in the search box
        page.keyboard.press("Shift+Tab")  # from the search box to the way of searching
        for _ in range(4):  # card no., ID no., phone, name + birth date, pinyin initials
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
        type_("zs")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "way=initials&q=zs" in page.url
        assert page.locator("table.patients tbody tr").first.locator("b").inner_text() == "张三"
        page.keyboard.press("F4")  # charge the first patient found
        page.wait_for_url("**/charge/?card_no=C0001*")
        _wait_for_cursor(page, "lines.0.item_code")
        for text in ("F001", "1", "Y001", "2"):
            if text != "F001":
                page.keyboard.press("Tab")
            type_(text)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_url("**/charges/*/")
        assert page.locator(".total").inner_text() == "¥50.00"
        elapsed = time.monotonic() - started
        floor = typed * KEY_DELAY_MS / 1000
        print(f"\ncashier, keyboard only at 1366x768: patient found by pinyin initials and two items charged in "
              f"{elapsed:.1f} s (goal < 60 s); baseline, the {typed} keystrokes typed alone: {floor:.1f} s; "
              f"ratio {elapsed / floor:.1f}x")
        assert elapsed < 60
        assert violations == []
    finally:
        context.close()
        served.stop()


CASHIER_PAGES = ["/", "/help/", "/patients/?way=initials&q=zs", "/register/?card_no=C0001", "/card/", "/invoice/",
                 "/charge/", "/prescription/", "/takings/", "/login/"]


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_every_page_at_the_window_and_on_a_phone(browser, stations, width, height):
    cashier_station, pharmacy_station = stations
    context, page, violations = _desk(browser, width, height)
    page.goto(cashier_station.url + "/")
    _shot(page, f"home-ready-or-not-{width}")
    _declare_downtime(page, cashier_station.url)
    _sign_in(page, cashier_station.url, "0202")
    page.goto(cashier_station.url + "/prices/")
    _shot(page, f"prices-{width}")
    _submit(page, "main button[type=submit]")
    page.goto(cashier_station.url + "/invoice/")
    page.fill("input[name=invoice_no]", "5000" if width > 400 else "5001")
    _submit(page, None)
    page.goto(cashier_station.url + "/charge/")
    page.fill("input[name=card_no]", "C9999")
    page.fill("input[name='lines.0.item_code']", "F002")
    _submit(page)
    assert page.locator("label.refused input[name=card_no]").is_visible()
    _shot(page, f"charge-refused-{width}")
    for path in CASHIER_PAGES:
        page.goto(cashier_station.url + path)
        _shot(page, f"{path.strip('/').split('?')[0].replace('/', '-') or 'home'}-{width}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways at {width} px"
    page.goto(cashier_station.url + "/register/?card_no=C0001")
    page.locator("input[name=schedule_id]").first.check()
    _submit(page)
    _shot(page, f"slip-{width}")
    page.goto(cashier_station.url + "/charge/")
    page.fill("input[name=card_no]", "C0004")
    page.fill("input[name='lines.0.item_code']", "F002")
    _submit(page)
    _shot(page, f"receipt-{width}")
    context.close()
    context, page, more = _desk(browser, width, height)
    _declare_downtime(page, pharmacy_station.url)
    _sign_in(page, pharmacy_station.url, "0301")
    page.goto(pharmacy_station.url + "/dispense/")
    page.fill("input[name=code]", "LLRC2:broken")
    _submit(page, None)
    _shot(page, f"dispense-refused-{width}")
    context.close()
    assert violations + more == []

"""The command centre signs off a downtime's reconciliation in a real headless Chromium (1440 px),
after a cashier (390 px phone) ticked an insurance settlement as re-settled."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.reconciliation import services
from lifeline.reconciliation.models import Reconciliation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, DESK = {"width": 390, "height": 844}, {"width": 1440, "height": 900}


def test_a_commander_signs_off_the_reconciliation(browser, login, downtime, make_user):
    make_user("liu", Role.COMMANDER)
    make_user("wang", Role.DEPARTMENT)
    rec = services.create(None, incident=downtime)

    cashier = browser.new_page(viewport=PHONE)
    login(cashier, "wang", next_path=f"/reconciliation/{rec.pk}/")
    with cashier.expect_navigation():
        cashier.locator("#table-insurance tr", has_text="K7").locator("button").click()
    assert "收费单 K7 已重新结算" in cashier.locator(".messages").inner_text()
    assert "wang" in cashier.locator("#table-insurance tr", has_text="K7").inner_text()
    assert cashier.locator("button:has-text('签署对账')").count() == 0
    assert cashier.evaluate("[document.scrollingElement.scrollWidth, innerWidth]") == [390, 390]

    page = browser.new_page(viewport=DESK)
    login(page, "liu", next_path=f"/reconciliation/{rec.pk}/")
    assert "1002" in page.locator("#table-invoices").inner_text()
    assert "K99" in page.locator("#table-pharmacy").inner_text()
    page.fill("#id_note", "收款与发票已核对")
    with page.expect_navigation():
        page.click("button:has-text('签署对账')")
    assert "对账已签署" in page.locator(".messages").inner_text()
    signed = page.locator("#signed-off").inner_text()
    assert "liu" in signed and "133.00" in signed and "收款与发票已核对" in signed
    assert Reconciliation.objects.get().signed_off_by.username == "liu"
    with page.expect_navigation():
        page.locator("main a", has_text="故障分析").click()
    assert "对账（已签署）" in page.content()

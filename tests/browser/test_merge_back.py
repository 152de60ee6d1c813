"""Issue 16's merge-back in a real headless Chromium: the commander runs a dry run, confirms a
temporary patient as the HIS's patient, accepts the other conflicts and merges; the page shows the
worker's progress by refreshing itself. (Signing the reconciliation off is the reconciliation's
own test.)"""
from pathlib import Path

import pytest

from lifeline.accounts.roles import Role
from lifeline.recovery import tasks
from lifeline.recovery.models import MergeRun
from tests.recovery.merge_data import built, clean_day, conflicted, facts, his  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-h16merge")


def work(clock):
    """The worker picks the queued run up and carries it out."""
    thread = tasks.run_queued_merge(clock.now())
    assert thread is not None, "the page queued no run"
    thread.join(timeout=120)


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


@pytest.mark.parametrize("width", [1440, 390])
def test_the_commander_dry_runs_confirms_a_patient_and_merges(page, live_server, login, make_user, his, conflicted,
                                                              clock, width):
    make_user("liqiang", Role.COMMANDER)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "liqiang", next_path="/recovery/merge/")
    assert page.locator("h1").inner_text() == "回写到 HIS"

    page.click("#dry-run")
    page.wait_for_load_state()
    assert "试运行已排队" in page.locator(".messages").inner_text()
    assert page.locator("#active-run").is_visible()
    work(clock)
    # the page refreshes itself while the run lasts: the conflicts appear without a click
    match = page.locator(f"tr[data-conflict=patient_match][data-key='{conflicted['card']}']")
    match.wait_for()
    assert facts(his).patient["name"] in match.inner_text() and "身份证号相同" in match.inner_text()
    assert page.locator("#merge").is_disabled()
    shot(page, "merge-conflicts")

    real = facts(his).patient["card_no"]
    match.locator("select[name=card_no]").select_option(real)
    match.locator(f"button[data-confirm='{conflicted['card']}']").click()
    page.wait_for_load_state()
    assert f"已确认为 HIS 患者（{real}）" in page.locator(
        f"tr[data-conflict=patient_match][data-key='{conflicted['card']}']").inner_text()
    for kind in ("invoice_used", "price_changed", "stock_negative"):
        page.click(f"button[data-accept-all={kind}]")
        page.wait_for_load_state()

    page.click("#merge")
    page.wait_for_load_state()
    work(clock)
    merged = MergeRun.objects.get(dry_run=False)
    page.locator(f"tr[data-run='{merged.pk}'][data-state=done]").wait_for()
    assert "已接收" in page.locator("#merge-state").inner_text() and not page.locator("#active-run").count()
    assert "已写入" in page.locator("#last-records").inner_text()
    assert "应急办卡 6" in page.locator("#last-records").inner_text()  # 7 temporary cards, one of them confirmed
    assert his.query("SELECT {PATIENT_ID} FROM {OUTP_REGISTER} WHERE {VISIT_NO} = :visit",
                     visit=conflicted["visit"]) == [(real,)]
    shot(page, "merge-done")
    width_used = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert width_used[0] <= width_used[1]

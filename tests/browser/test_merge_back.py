"""Issue 16's merge-back in a real headless Chromium, in one flow as the command centre lives it:
the commander runs a dry run, confirms a temporary patient as the HIS's patient, accepts the other
conflicts and merges (the page shows the worker's progress by refreshing itself), then opens the
reconciliation of that downtime and signs it off."""
from datetime import datetime
from pathlib import Path

import pytest

from lifeline.accounts.roles import Role
from lifeline.incidents import lifecycle
from lifeline.recovery import tasks
from lifeline.recovery.models import MergeRun, ReceivedEvent
from tests.incidents.conftest import SHANGHAI, load_seed  # noqa: F401 (a fixture)
from tests.recovery.merge_data import built, clean_day, conflicted, facts, his  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-h16flow")


def work(clock):
    """The worker picks the queued run up and carries it out."""
    thread = tasks.run_queued_merge(clock.now())
    assert thread is not None, "the page queued no run"
    thread.join(timeout=120)


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


def fits(page):
    width_used = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert width_used[0] <= width_used[1], width_used


@pytest.fixture
def downtime(load_seed, clock):
    """The HIS went down at 07:30 on the day the stations recorded (from 08:00); it is 11:30 now."""
    clock.freeze(datetime(2026, 12, 6, 7, 30, tzinfo=SHANGHAI))
    incident = lifecycle.open_incident(plan_id=load_seed("002"), title="HIS 数据库宕机")
    clock.advance(hours=4)
    return incident


@pytest.mark.parametrize("width", [1440, 390])
def test_the_commander_dry_runs_confirms_a_patient_merges_and_signs_the_reconciliation_off(
        page, live_server, login, make_user, his, conflicted, downtime, clock, width):
    commander = make_user("liqiang", Role.COMMANDER)
    commander.first_name = "李强"
    commander.save()
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "liqiang", next_path="/recovery/merge/")
    assert page.locator("h1").inner_text() == "回写到 HIS"

    # 1. the dry run: nothing written, every conflict listed
    with page.expect_navigation():
        page.click("#dry-run")
    assert "试运行已排队" in page.locator(".messages").inner_text()
    assert page.locator("#active-run").is_visible()
    work(clock)
    # the page refreshes itself while the run lasts: the conflicts appear without a click
    match = page.locator(f"tr[data-conflict=patient_match][data-key='{conflicted['card']}']")
    match.wait_for()
    assert facts(his).patient["name"] in match.inner_text() and "身份证号相同" in match.inner_text()
    assert page.locator("#merge").is_disabled()
    assert "试运行" in page.locator("#last-records").inner_text()
    assert his.emergency_rows()["OUTP_CHARGE"] == []
    shot(page, "1-dry-run")

    # 2. the temporary patient is the HIS's patient; the other conflicts written as recorded
    real = facts(his).patient["card_no"]
    match.locator("select[name=card_no]").select_option(real)
    with page.expect_navigation():
        match.locator(f"button[data-confirm='{conflicted['card']}']").click()
    decided = page.locator(f"tr[data-conflict=patient_match][data-key='{conflicted['card']}']").inner_text()
    assert f"已确认为 HIS 患者（{real}）" in decided and "李强" in decided
    assert not page.locator(f"button[data-confirm='{conflicted['card']}']").count()  # the conflict is decided
    for kind in ("invoice_used", "price_changed", "stock_negative"):
        with page.expect_navigation():  # wait_for_load_state alone may see the page before the post
            page.click(f"button[data-accept-all={kind}]")
    assert not page.locator("button[data-accept-all]").count() and page.locator("#merge").is_enabled()
    shot(page, "2-decided")

    # 3. the merge: every event written once, the counts shown
    with page.expect_navigation():
        page.click("#merge")
    work(clock)
    merged = MergeRun.objects.get(dry_run=False)
    page.locator(f"tr[data-run='{merged.pk}'][data-state=done]").wait_for()
    state = page.locator("#merge-state").inner_text()
    received = ReceivedEvent.objects.count()
    drill = ReceivedEvent.objects.filter(mode="drill").count()
    assert f"已接收 {received} 条事件：已回写 {received - drill} 条，待回写 0 条" in state, state
    assert not page.locator("#active-run").count()
    assert "已写入" in page.locator("#last-records").inner_text()
    assert "应急办卡 6" in page.locator("#last-records").inner_text()  # 7 temporary cards, one of them confirmed
    assert his.query("SELECT {PATIENT_ID} FROM {OUTP_REGISTER} WHERE {VISIT_NO} = :visit",
                     visit=conflicted["visit"]) == [(real,)]
    shot(page, "3-merged")
    fits(page)

    # 4. the reconciliation of that downtime, signed off by the commander
    page.goto(f"{live_server.url}/reconciliation/")
    page.select_option("#id_incident", str(downtime.pk))
    with page.expect_navigation():
        page.click("button:has-text('开始对账')")
    assert "HIS 数据库宕机" in page.locator("h1").inner_text()
    patient = page.locator("#table-patients tr", has_text=conflicted["card"]).inner_text()
    assert "确认为既有患者" in patient and real in patient
    page.fill("#id_note", "回写与收款已核对")
    with page.expect_navigation():
        page.click("button:has-text('签署对账')")
    assert "对账已签署" in page.locator(".messages").inner_text()
    signed = page.locator("#signed-off").inner_text()
    assert "李强" in signed and "2026-12-06 11:30" in signed and "回写与收款已核对" in signed
    assert "确认为既有患者 1、作为新患者回写 6" in signed  # the figures signed: what became of the temporary cards
    assert not page.locator("button:has-text('签署对账')").count()
    shot(page, "4-signed-off")
    fits(page)

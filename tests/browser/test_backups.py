"""Backups in a real headless Chromium: the catalogue shows a missed backup in red, the restore
test's page draws its RTO history as a chart, and every backup and DR page of the demo hospital
holds up for IT on duty, a commander, an auditor and department staff at 1440 and 390 px (no
console error, no sideways scroll on the phone, no raw identifiers, nothing loaded off the server;
the auditor gets no form to send, department staff get 403). LIFELINE_SHOTS=<dir> keeps a
screenshot of each page."""
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from lifeline.accounts.roles import Role
from lifeline.backups import demo
from lifeline.backups.models import BackupJob, DrComponent, RestoreTest
from lifeline.plans import services as plans
from tests.browser.test_walk import AUDITOR_FORMS, VIEWPORTS, VISIBLE_TEXT, Visit, ascii_findings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MISSED_RED = "rgb(253, 236, 234)"  # backups/_styles.html tr.alarm td
ROLES = {"D": Role.DUTY, "C": Role.COMMANDER, "A": Role.AUDITOR, "P": Role.DEPARTMENT}


@pytest.fixture
def demo_backups(db, clock, tmp_path):
    plans.load_bundled()
    demo.load_demo(tmp_path)


def test_the_catalogue_shows_the_missed_backup_and_the_restore_test_its_rto_chart(
        page, live_server, login, make_user, demo_backups):
    make_user("wangit", Role.DUTY)
    login(page, "wangit", next_path="/backups/")
    page.set_viewport_size({"width": 1440, "height": 900})
    pacs = BackupJob.objects.get(name="影像库全量备份")
    row = page.locator(f"#job-{pacs.pk}")
    assert "未按时" in row.inner_text() and "已有 72.0 小时" in row.inner_text()
    assert row.locator("td").first.evaluate("el => getComputedStyle(el).backgroundColor") == MISSED_RED
    his = BackupJob.objects.get(name="每日数据库备份")
    assert "按时" in page.locator(f"#job-{his.pk}").inner_text()

    test = RestoreTest.objects.get()
    page.goto(f"{live_server.url}/backups/restore-tests/{test.pk}/")
    chart = page.locator(".rto-history svg.chart")
    assert chart.is_visible()
    assert chart.locator("rect").count() == len(demo.RESTORE_MINUTES)
    assert "每次恢复用时（实际 RTO）" in page.locator(".rto-history").inner_text()
    assert "命令以退出状态 1 结束" in page.locator("table.runs").inner_text()


def backup_pages() -> list[str]:
    test, component = RestoreTest.objects.get(), DrComponent.objects.get(name="数据库服务器集群")
    job = BackupJob.objects.get(name="每日数据库备份")
    return ["/backups/", "/backups/restore-tests/", f"/backups/restore-tests/{test.pk}/", "/backups/dr/",
            f"/backups/dr/components/{component.pk}/", "/backups/plans/his_failure/",
            f"/backups/edit/job/{job.pk}/", "/backups/edit/restore_test/"]


EDIT_ONLY = ("/backups/edit/",)


def test_every_backup_page_in_every_role_at_desktop_and_phone_width(browser, live_server, make_user, demo_backups):
    shots = Path(os.environ["LIFELINE_SHOTS"]) if os.environ.get("LIFELINE_SHOTS") else None
    findings = []
    for letter, role in ROLES.items():
        make_user(f"walk_{letter}", role)
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        visit = Visit(page, urlsplit(live_server.url).netloc)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", f"walk_{letter}")
        page.fill("#id_password", "correct-horse-9")
        with page.expect_navigation():
            page.click("button[type=submit]")
        for url in backup_pages():
            for viewport in VIEWPORTS:
                page.set_viewport_size(viewport)
                visit.reset()
                status = page.goto(live_server.url + url, wait_until="load").status
                where = f"{letter} {viewport['width']}px {url}"
                allowed = letter == "D" or (letter in "CA" and not url.startswith(EDIT_ONLY))
                if status != (200 if allowed else 403):
                    findings.append(f"{where}: HTTP {status}")
                    continue
                if shots:
                    shots.mkdir(parents=True, exist_ok=True)
                    name = url.strip("/").replace("/", "_") or "catalogue"
                    page.screenshot(path=shots / f"{letter}-{viewport['width']}-{name}.png", full_page=True)
                findings += [f"{where}: console error: {e}" for e in visit.errors if "status of 403" not in e]
                findings += [f"{where}: off the server: {r}" for r in visit.outside]
                if status == 403:
                    continue
                findings += [f"{where}: {f}" for f in ascii_findings(page.evaluate(VISIBLE_TEXT))]
                if viewport["width"] == 390:
                    scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
                    if scroll > inner:
                        findings.append(f"{where}: scrolls sideways ({scroll} > {inner} px)")
                if letter == "A":
                    findings += [f"{where}: a form the auditor cannot send: {f}" for f in page.evaluate(AUDITOR_FORMS)]
        context.close()
    assert not findings, "\n".join(findings)

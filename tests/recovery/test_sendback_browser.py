"""The 回写 page in Chromium: IT on duty imports a station's USB file and sees its events
received; a commander and an auditor read it; at 1440 px and 390 px (screenshots in
/tmp/shots-h16send/)."""
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lifeline.accounts.roles import Role
from lifeline.package.keys import KeyStore
from lifeline.recovery.models import ReceivedEvent
from lifeline.recovery.receiving import receive
from lifeline.stations import registry
from lifeline.workstation import usb
from tests.recovery.events import chain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-h16send")


def shoot(page, name):
    SHOTS.mkdir(exist_ok=True)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_it_on_duty_imports_a_usb_file_and_everyone_who_may_reads_the_page(page, login, live_server, make_user,
                                                                         station, station_dir, tmp_path):
    record, token = station
    other = registry.create(name="挂号-01", department="门诊挂号")[0]
    registry.declare("downtime", by="zhangwei", now=datetime.now(UTC))
    receive(other, chain(3), "network", held=5)
    station_dir.record(4)
    stick = tmp_path / "usb"
    stick.mkdir()
    exported = usb.export(station_dir.path, KeyStore(file=station_dir.keys), token, stick, "收费-01",
                          datetime.now(UTC))
    make_user("zhangwei", Role.DUTY)
    login(page, "zhangwei", next_path="/continuity/")
    page.click("#sendback-link a")
    assert page.locator("h1").inner_text() == "回写"
    page.set_input_files("#id_file", str(exported.path))
    with page.expect_navigation():
        page.click("#import-journal button[type=submit]")
    assert "工作站 收费-01：接收 4 个事件" in page.locator(".messages").inner_text()
    assert page.locator('tr[data-station="收费-01"] td.received').inner_text() == "4"
    assert "2 个未接收" in page.locator('tr[data-station="挂号-01"] td.held').inner_text()
    assert ReceivedEvent.objects.filter(station=record, via="usb").count() == 4
    shoot(page, "sendback-duty")

    page.set_input_files("#id_file", str(exported.path))  # the same file again: nothing new
    with page.expect_navigation():
        page.click("#import-journal button[type=submit]")
    assert "接收 0 个事件，4 个此前已接收" in page.locator(".messages").inner_text()

    tampered = tmp_path / "tampered.lljournal"
    data = bytearray(exported.path.read_bytes())
    data[-80] ^= 1
    tampered.write_bytes(bytes(data))
    page.set_input_files("#id_file", str(tampered))
    with page.expect_navigation():
        page.click("#import-journal button[type=submit]")
    assert "日志文件未通过校验" in page.locator("#import-journal").inner_text()
    shoot(page, "sendback-refused")

    for username, role in (("commander", Role.COMMANDER), ("auditor", Role.AUDITOR)):
        context = page.context.browser.new_context(locale="zh-CN")
        other_page = context.new_page()
        make_user(username, role)
        login(other_page, username, next_path="/recovery/")
        assert other_page.locator('tr[data-station="收费-01"] td.received').inner_text() == "4"
        assert (other_page.locator("#import-journal").count() == 1) == (role == Role.COMMANDER)
        shoot(other_page, f"sendback-{username}")
        context.close()

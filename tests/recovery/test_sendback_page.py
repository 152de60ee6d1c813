"""The send-back page (回写): per station what it holds, received, merged, held as conflicts and
its last event; a station in downtime that stopped sending is flagged and raises an alarm; the
import form takes a journal file (commanders and IT on duty), a tampered one refused."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lifeline.accounts.roles import Role
from lifeline.core import worker
from lifeline.detection.models import Alert
from lifeline.recovery import sendback
from lifeline.recovery.models import ReceivedEvent
from lifeline.recovery.receiving import receive
from lifeline.stations import registry
from lifeline.stations.models import Station
from tests.recovery.events import chain

pytestmark = pytest.mark.django_db


def row(html: str, name: str) -> str:
    return re.search(rf'<tr data-station="{name}".*?</tr>', html, re.S).group(0)


def cell(html: str, name: str, css: str) -> str:
    return re.sub(r"<[^>]+>|\s+", " ", re.search(rf'<td class="[^"]*{css}[^"]*">(.*?)</td>', row(html, name),
                                                 re.S).group(1)).strip()


def test_the_page_shows_each_stations_counts_and_flags_a_silent_one(client, make_user, clock, settings):
    settings.SENDBACK_SILENT_MINUTES = 10
    sending, silent = (registry.create(name=n, department="门诊收费")[0] for n in ("收费-01", "收费-02"))
    registry.declare("downtime", by="zhangwei", now=clock.now())
    events = chain(5)
    receive(sending, events[:4], "network", held=5)
    ReceivedEvent.objects.filter(station=sending, seq__lte=2).update(merged_at=clock.now())
    clock.advance(minutes=11)
    receive(sending, [], "network", held=6)  # still here, nothing new

    client.force_login(make_user("zhangwei", Role.DUTY))
    html = client.get("/recovery/").content.decode()
    assert cell(html, "收费-01", "held").startswith("6") and "2" in cell(html, "收费-01", "held")  # 2 not received
    assert (cell(html, "收费-01", "received"), cell(html, "收费-01", "merged")) == ("4", "2")
    assert cell(html, "收费-01", "conflicts") == "0"
    assert 'class="silent"' not in row(html, "收费-01")
    assert 'class="silent"' in row(html, "收费-02") and cell(html, "收费-02", "sent") == "从未"
    assert 'id="import-journal"' in html

    firing = sendback.report_silent(clock.now())
    assert [s.station.name for s in firing] == ["收费-02"]
    alert = Alert.objects.get(source=sendback.ALARM_SOURCE, fingerprint=f"station-{silent.pk}-silent")
    assert alert.status == "firing" and "收费-02" in alert.summary
    clock.advance(minutes=11)  # 收费-01 silent too now; 收费-02 sends
    receive(silent, chain(1), "usb")
    assert [s.station.name for s in sendback.report_silent(clock.now())] == ["收费-01"]
    assert Alert.objects.get(fingerprint=f"station-{silent.pk}-silent").status == "resolved"


def test_a_station_out_of_downtime_is_not_flagged(clock, settings):
    settings.SENDBACK_SILENT_MINUTES = 10
    registry.create(name="收费-01", department="门诊收费")
    clock.advance(minutes=60)
    assert Station.objects.get().mode == "ready" and sendback.report_silent(clock.now()) == []


def test_the_worker_reports_silent_stations_every_minute():
    jobs = {job.name: job for job in worker.discover()}
    assert jobs["lifeline.recovery.tasks.report_silent_stations"].every == 60


def test_an_auditor_reads_the_page_without_the_import_form(client, make_user):
    client.force_login(make_user("shenji", Role.AUDITOR))
    answer = client.get("/recovery/")
    assert answer.status_code == 200 and 'id="import-journal"' not in answer.content.decode()
    assert client.post("/recovery/import/").status_code == 403


def test_a_file_that_is_not_a_journal_is_refused_under_the_field(client, make_user, snapshot_dir):
    client.force_login(make_user("zhangwei", Role.DUTY))
    answer = client.post("/recovery/import/", {"file": SimpleUploadedFile("x.lljournal", b"not a journal")})
    assert answer.status_code == 400
    assert "日志文件未通过校验" in answer.content.decode() or "does not verify" in answer.content.decode()
    assert ReceivedEvent.objects.count() == 0


def test_the_continuity_page_links_to_the_send_back_page(client, make_user):
    client.force_login(make_user("zhangwei", Role.DUTY))
    assert 'href="/recovery/"' in client.get("/continuity/").content.decode()


def test_no_silence_before_the_threshold(clock, settings):
    settings.SENDBACK_SILENT_MINUTES = 10
    registry.create(name="收费-01", department="门诊收费")
    registry.declare("downtime", by="zhangwei", now=clock.now())
    clock.advance(minutes=10)
    assert sendback.report_silent(clock.now()) == []
    clock.advance(seconds=1)
    assert len(sendback.report_silent(clock.now())) == 1

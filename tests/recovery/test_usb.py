"""The journal by USB stick: `lifeline station export --to DIR` writes one encrypted, signed
file, read back before it says done; `lifeline journal import FILE` verifies it and receives
its events once. File twice, file then network, network then file: the second changes nothing."""
import subprocess
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from lifeline.core.errors import Refused
from lifeline.package import container
from lifeline.package.keys import KeyStore
from lifeline.recovery import importing
from lifeline.recovery.models import ReceivedEvent
from lifeline.workstation import send, usb
from lifeline.workstation.pull import Server
from tests.snapshots.helpers import LIFELINE, cli_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english")]
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def stick(tmp_path):
    path = tmp_path / "usb"
    path.mkdir()
    return path


def export(station_dir, token, stick):
    return usb.export(station_dir.path, KeyStore(file=station_dir.keys), token, stick, "收费-01", NOW)


def stored(record):
    return list(ReceivedEvent.objects.filter(station=record).order_by("seq").values_list("seq", "event_id", "via"))


def test_the_cli_exports_one_file_that_reads_back_and_imports(station, station_dir, stick, tmp_path):
    record, token = station
    station_dir.record(6)
    done = subprocess.run([LIFELINE, "station", "export", "--to", str(stick), "--dir", str(station_dir.path),
                           "--keys", str(station_dir.keys)], capture_output=True, text=True, timeout=120,
                          env=cli_env(tmp_path, LIFELINE_STATION_TOKEN=token, LIFELINE_LANGUAGE="en",
                                      DJANGO_SETTINGS_MODULE="lifeline.no_server_settings_on_a_workstation"))
    assert done.returncode == 0, done.stderr
    path = done.stdout.strip().splitlines()[-1]
    assert [p.name for p in stick.iterdir()] == [path.rsplit("/", 1)[-1]] and path.endswith(usb.SUFFIX)
    assert "exported 6 events (up to sequence number 6), read back and verified" in done.stdout
    manifest = container.open_package(path).manifest
    assert (manifest["kind"], manifest["events"], manifest["station"]) == ("journal", 6, "收费-01")
    assert "FP000001" not in open(path, "rb").read().decode("latin-1")  # encrypted
    call_command("journal", "import", path)
    assert [(seq, via) for seq, _id, via in stored(record)] == [(n, "usb") for n in range(1, 7)]
    assert [event_id for _s, event_id, _v in stored(record)] == [e.event_id for e in station_dir.events()]


def test_the_same_file_twice_changes_nothing(station, station_dir, stick):
    record, token = station
    station_dir.record(4)
    exported = export(station_dir, token, stick)
    assert importing.import_file(exported.path)[1].received == 4
    before = stored(record)
    again = importing.import_file(exported.path)[1]
    assert (again.received, again.duplicates) == (0, 4) and stored(record) == before


def test_a_file_says_how_many_events_the_station_held_when_it_was_exported(station, station_dir, stick):
    record, token = station
    station_dir.record(4)
    importing.import_file(export(station_dir, token, stick).path)
    journal = record.journal
    assert (journal.held, journal.held_reported_at) == (4, NOW)
    journal.held, journal.held_reported_at = 9, NOW.replace(hour=11)  # the station said more since, by network
    journal.save()
    importing.import_file(export(station_dir, token, stick).path)  # an older word is not taken
    journal.refresh_from_db()
    assert (journal.held, journal.held_reported_at) == (9, NOW.replace(hour=11))


def test_file_then_network_changes_nothing_the_second_time(live_server, station, station_dir, stick):
    record, token = station
    station_dir.record(5)
    importing.import_file(export(station_dir, token, stick).path)
    before = stored(record)
    station_dir.record(2)  # and two more after the stick left
    sent = send.send(Server(live_server.url, token), station_dir.path, station_dir.key)
    assert sent.sent == 2 and stored(record)[:5] == before
    assert [via for _s, _i, via in stored(record)] == ["usb"] * 5 + ["network"] * 2


def test_network_then_file_changes_nothing_the_second_time(live_server, station, station_dir, stick):
    record, token = station
    station_dir.record(5)
    send.send(Server(live_server.url, token), station_dir.path, station_dir.key)
    before = stored(record)
    receipt = importing.import_file(export(station_dir, token, stick).path)[1]
    assert (receipt.received, receipt.duplicates) == (0, 5) and stored(record) == before


def test_a_tampered_file_is_refused_and_nothing_is_stored(station, station_dir, stick):
    record, token = station
    station_dir.record(3)
    path = export(station_dir, token, stick).path
    data = bytearray(path.read_bytes())
    data[-100] ^= 1  # one bit inside the last frame
    path.write_bytes(bytes(data))
    with pytest.raises(CommandError) as refused:
        call_command("journal", "import", str(path))
    assert "FILE:" in str(refused.value) and "signature does not match" in str(refused.value)
    assert stored(record) == []


def test_a_file_signed_by_another_token_is_refused(station, station_dir, stick):
    record, _token = station
    station_dir.record(2)
    path = export(station_dir, "st_not-this-stations-token", stick).path
    with pytest.raises(Refused) as refused:
        importing.import_file(path)
    assert refused.value.field == "file" and "not signed by a station in service" in refused.value.message
    assert stored(record) == []


def test_a_file_whose_events_do_not_continue_the_chain_names_the_sequence_number(station, station_dir, stick,
                                                                                 live_server):
    record, token = station
    station_dir.record(3)
    send.send(Server(live_server.url, token), station_dir.path, station_dir.key)
    (station_dir.path / "station.sqlite3").unlink()
    station_dir.record(4)  # another journal of the same station
    with pytest.raises(Refused) as refused:
        importing.import_file(export(station_dir, token, stick).path)
    assert "sequence number 1" in refused.value.message and len(stored(record)) == 3


def test_export_refuses_a_damaged_journal_and_writes_nothing(station, station_dir, stick):
    _record, token = station
    station_dir.record(3)
    journal = station_dir.open()
    journal.db.execute("DROP TRIGGER journal_append_only_update")
    journal.db.execute("UPDATE journal SET operator = 'X' WHERE seq = 2")
    journal.close()
    with pytest.raises(usb.ExportFailed) as failed:
        export(station_dir, token, stick)
    assert "sequence number 2" in str(failed.value) and list(stick.iterdir()) == []


def test_export_to_a_missing_directory_names_the_option(station, station_dir, tmp_path):
    station_dir.record(1)
    with pytest.raises(usb.ExportFailed) as failed:
        export(station_dir, station[1], tmp_path / "not-mounted")
    assert "--to" in str(failed.value)

"""`lifeline station send` (workstation/send.py) against a live server: every event sent once,
in batches; an answer cut off mid-way resumes from the server's head without storing anything
twice; a refusal is kept on the station (DIR/send.json) and not retried by the serve loop."""
import dataclasses
import json
import socket
import subprocess
from urllib.parse import urlsplit

import pytest

from lifeline.recovery.models import ReceivedEvent, StationJournal
from lifeline.workstation import send, serve
from lifeline.workstation.pull import Server
from tests.snapshots.helpers import LIFELINE, cli_env
from tests.stations.cutting_proxy import CuttingProxy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english")]
PATH = "/api/v1/continuity/stations/journal"


def held_on_server(record):
    return list(ReceivedEvent.objects.filter(station=record).order_by("seq").values_list("seq", "event_id"))


def test_everything_is_sent_in_batches_and_a_second_send_sends_nothing(live_server, station, station_dir):
    record, token = station
    station_dir.record(12)
    said = []
    sent = send.send(Server(live_server.url, token), station_dir.path, station_dir.key, say=said.append, batch=5)
    assert (sent.held, sent.server_seq, sent.sent) == (12, 12, 12)
    assert held_on_server(record) == [(e.seq, e.event_id) for e in station_dir.events()]
    assert [line for line in said if line.startswith("sent events")] == [
        "sent events 1-5: the server holds up to 5", "sent events 6-10: the server holds up to 10",
        "sent events 11-12: the server holds up to 12"]
    station_dir.record(2)
    assert send.send(Server(live_server.url, token), station_dir.path, station_dir.key).sent == 2
    assert send.send(Server(live_server.url, token), station_dir.path, station_dir.key).sent == 0
    assert StationJournal.objects.get(station=record).held == 14
    assert send.status(station_dir.path)["state"] == send.SENT


def answer_size(url: str, token: str) -> int:
    """The bytes of the server's answer to GET stations/journal: the proxy cuts longer ones."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as conn:
        conn.sendall(f"GET {PATH} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
                     f"Connection: close\r\n\r\n".encode())
        return len(b"".join(iter(lambda: conn.recv(65536), b"")))


def test_an_answer_cut_off_after_the_server_stored_the_batch_resumes_without_a_duplicate(
        live_server, station, station_dir):
    record, token = station
    station_dir.record(30)
    host, port = urlsplit(live_server.url).hostname, urlsplit(live_server.url).port
    # The answer to the head at 0 passes; the first longer one (after storing events 1-10:
    # "seq": 10, "received": 10) is cut off before it is read.
    proxy = CuttingProxy((host, port), after=answer_size(live_server.url, token) + 1)
    said = []
    try:
        sent = send.send(Server(proxy.url, token), station_dir.path, station_dir.key, say=said.append, batch=10)
    finally:
        proxy.close()
    assert proxy.cut and any(line.startswith("interrupted") for line in said)
    assert held_on_server(record) == [(e.seq, e.event_id) for e in station_dir.events()]  # each once, in order
    assert (sent.server_seq, sent.sent) == (30, 20)  # the cut batch was stored, but not heard of
    assert StationJournal.objects.get(station=record).received_seq == 30


def test_an_unreachable_server_is_said_and_the_next_round_sends(live_server, station, station_dir):
    record, token = station
    station_dir.record(3)
    with socket.create_server(("127.0.0.1", 0)) as closed:
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    with pytest.raises(send.SendFailed):
        send.send(Server(dead, token, timeout=2), station_dir.path, station_dir.key)
    assert send.status(station_dir.path)["state"] == send.UNREACHABLE and not send.held_back(station_dir.path)
    serve.send_back(Server(live_server.url, token), station_dir.path, station_dir.keys)
    assert len(held_on_server(record)) == 3


def test_an_edited_event_is_refused_kept_on_the_station_and_not_retried_blindly(live_server, station, station_dir,
                                                                                capsys):
    record, token = station
    station_dir.record(4)
    send.send(Server(live_server.url, token), station_dir.path, station_dir.key)
    station_dir.record(3)
    journal = station_dir.open()  # someone edits an event not sent yet, past the append-only trigger
    journal.db.execute("DROP TRIGGER journal_append_only_update")
    journal.db.execute("UPDATE journal SET payload = '{\"amount\":\"0.01\"}' WHERE seq = 6")
    journal.close()
    with pytest.raises(send.SendRefused) as refused:
        send.send(Server(live_server.url, token), station_dir.path, station_dir.key)
    assert "序号 6" in str(refused.value) and "HTTP 409" in str(refused.value)  # the server's words, in Chinese
    assert len(held_on_server(record)) == 4  # the batch 5-7 was refused whole
    status = send.status(station_dir.path)
    assert status["state"] == send.REFUSED and "序号 6" in status["message"]

    capsys.readouterr()
    serve.send_back(Server(live_server.url, token), station_dir.path, station_dir.keys)
    assert "sending back held" in capsys.readouterr().out and len(held_on_server(record)) == 4
    with pytest.raises(send.SendRefused):  # by hand it tries again, and is told again
        send.send(Server(live_server.url, token), station_dir.path, station_dir.key)


def test_a_station_whose_journal_was_replaced_is_told_before_sending(live_server, station, station_dir, tmp_path):
    record, token = station
    station_dir.record(3)
    send.send(Server(live_server.url, token), station_dir.path, station_dir.key)
    (station_dir.path / "station.sqlite3").unlink()
    station_dir.record(5)  # a new journal: seq 1-5 again, other events
    with pytest.raises(send.SendRefused) as refused:
        send.send(Server(live_server.url, token), station_dir.path, station_dir.key)
    assert "sequence number 3" in str(refused.value)
    assert len(held_on_server(record)) == 3


def test_the_cli_sends_and_says_what_the_server_holds(live_server, station, station_dir, tmp_path):
    record, token = station
    station_dir.record(3)
    done = subprocess.run([LIFELINE, "station", "send", "--server", live_server.url, "--dir", str(station_dir.path),
                           "--keys", str(station_dir.keys)], capture_output=True, text=True, timeout=120,
                          env=cli_env(tmp_path, LIFELINE_STATION_TOKEN=token, LIFELINE_LANGUAGE="en",
                                      DJANGO_SETTINGS_MODULE="lifeline.no_server_settings_on_a_workstation"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "the server holds 3 of the 3 events of this station"
    assert len(held_on_server(record)) == 3
    refused = subprocess.run([LIFELINE, "station", "send", "--server", live_server.url, "--dir",
                              str(station_dir.path), "--keys", str(station_dir.keys)], capture_output=True, text=True,
                             timeout=120, env=cli_env(tmp_path, LIFELINE_LANGUAGE="en", LIFELINE_STATION_TOKEN=""))
    assert refused.returncode == 1 and "--token" in refused.stderr


def test_a_batch_too_large_for_the_server_is_sent_again_in_smaller_ones(live_server, station, station_dir, settings):
    record, token = station
    station_dir.record(12)
    one = len(json.dumps(dataclasses.asdict(station_dir.events()[0])))
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = one * 6  # 10 events are too many, 5 pass
    sent = send.send(Server(live_server.url, token), station_dir.path, station_dir.key, batch=10)
    assert sent.sent == 12 and len(held_on_server(record)) == 12

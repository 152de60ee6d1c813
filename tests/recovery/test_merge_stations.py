"""Issue 16's done-when, continued from the workstation issue's five-station test: five stations
work the desk, each killed with kill -9 at a random moment and restarted; their journals are sent
back (recovery.receiving) and merged into a PostgreSQL demo HIS: every event exactly once, and a
second merge changes nothing."""
from collections import Counter
from dataclasses import asdict

import pytest

from lifeline.recovery import merging, receiving
from lifeline.recovery.models import Conflict, MergeRun, ReceivedEvent
from lifeline.stations import registry
from lifeline.workstation.journal import InForce, Journal
from tests.recovery.merge_data import build_his, scratch_database
from tests.workstation import test_kill

pytestmark = pytest.mark.django_db
TOTAL = 300  # desk transactions per station (the workstation issue's test runs 2,000 without merging)


@pytest.fixture
def pg_his(tmp_path_factory, settings):
    url, drop = scratch_database("postgresql", tmp_path_factory)
    his = build_his(url, tmp_path_factory.mktemp("his"))
    # The workstation test's dictionary names its clinics S-AM-1, S-AM-2: this HIS numbers them in text.
    his.execute('ALTER TABLE "OUTP_REGISTER" ALTER COLUMN "SCHEDULE_NO" TYPE varchar(20)')
    settings.SNAPSHOT_MAPPING = str(his.mapping_path)
    yield his
    drop()


def test_five_killed_stations_sent_back_and_merged_exactly_once(tmp_path, pg_his, monkeypatch, clock, make_user):
    monkeypatch.setattr(test_kill, "TOTAL", TOTAL)
    key = test_kill._prepare(tmp_path)["key"]
    kills, failures = [], []
    for name in test_kill.STATIONS:
        test_kill._run_station(tmp_path, name, [], kills, failures)
    assert not failures, failures
    assert sorted(kills) == test_kill.STATIONS

    held = {}
    for name in test_kill.STATIONS:
        journal = Journal.open(tmp_path / name / "station.sqlite3", key, InForce(name, "full-1", "v1"), clock.now)
        events = [asdict(e) for e in journal.events()]
        journal.close()
        station, _token = registry.create(name=name, department="门诊收费")
        receipt = receiving.receive(station, events, via=ReceivedEvent.Via.NETWORK)
        assert receipt.received == len(events)
        held[name] = events

    found = merging.plan(clock.now())
    commander = make_user("zhang")
    for conflict in Conflict.objects.filter(state="open"):  # the stations' test dictionary is not the HIS's
        merging.decide(conflict, commander, clock.now(), "reject" if conflict.kind == "patient_match" else "accept")
    merge_run = merging.run(commander, clock.now())
    assert merge_run.state == MergeRun.State.DONE, merge_run.message

    ledger = Counter(r[0] for r in pg_his.query("SELECT {event_id} FROM {LIFELINE_MERGE_LEDGER}"))
    every = [e["event_id"] for events in held.values() for e in events]
    assert set(ledger) == set(every) and max(ledger.values()) == 1
    records = Counter(kind for change in found.changes for kind, _fields in change.records)
    tables = {"registration": "OUTP_REGISTER", "charge": "OUTP_CHARGE", "prescription": "OUTP_PRESC",
              "dispensing": "OUTP_DISPENSE"}
    written = {kind: pg_his.query(f"SELECT COUNT(*) FROM {{{table}}} WHERE {{EMERGENCY_EVENT_ID}} IS NOT NULL")[0][0]
               for kind, table in tables.items()}
    assert written == {kind: records[kind] for kind in tables}
    assert all(written.values())

    again = merging.run(commander, clock.now())
    assert (again.state, again.total) == (MergeRun.State.DONE, 0)
    assert Counter(r[0] for r in pg_his.query("SELECT {event_id} FROM {LIFELINE_MERGE_LEDGER}")) == ledger

"""The journal: events in one transaction with their business rows, a verifiable hash chain,
storage faults refused without losing what committed."""
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from lifeline.workstation import store
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import GENESIS, Journal, chain_hash, verify

ROOT = Path(__file__).resolve().parents[2]  # the checkout: `tests` importable in the child


def test_an_event_names_everything_in_force_and_chains(journal, station_clock):
    with journal.transaction() as tx:
        first = tx.record("registration", "0101", {"visit_no": "100001", "fee": Decimal("9.80")})
    station_clock.advance(minutes=1)
    with journal.transaction() as tx:
        second = tx.record("charge", "0102", {"charge_no": "200001"})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    assert second.hash == chain_hash(first.hash, second.body())
    stored = list(journal.events())
    assert stored == [first, second]
    assert stored[0].payload == {"visit_no": "100001", "fee": "9.80"}
    assert (stored[1].station, stored[1].operator, stored[1].package_id, stored[1].price_version,
            stored[1].mode) == ("S1", "0102", "full-20261206-0800", "price_item:abc/drug:def", "emergency")
    assert stored[1].recorded_at == "2026-12-06T08:01:00+00:00"
    assert len({first.event_id, second.event_id}) == 2
    assert verify(journal.db).ok and verify(journal.db).count == 2


def test_a_failing_transaction_writes_neither_rows_nor_event(journal):
    journal.db.execute("CREATE TABLE visits (visit_no TEXT PRIMARY KEY)")
    with pytest.raises(ZeroDivisionError):
        with journal.transaction() as tx:
            tx.db.execute("INSERT INTO visits VALUES ('100001')")
            tx.record("registration", "0101", {"visit_no": "100001"})
            raise ZeroDivisionError
    assert journal.count() == 0
    assert journal.db.execute("SELECT count(*) FROM visits").fetchone()[0] == 0
    with journal.transaction() as tx:
        assert tx.record("registration", "0101", {}).seq == 1


def test_the_journal_refuses_changes(journal):
    with journal.transaction() as tx:
        tx.record("registration", "0101", {})
    for sql in ("UPDATE journal SET operator = 'x'", "DELETE FROM journal"):
        with pytest.raises(store.Error, match="append-only"):
            journal.db.execute(sql)


@pytest.mark.parametrize("tamper, reason", [
    ("UPDATE journal SET payload = '{\"fee\":\"0.01\"}' WHERE seq = 3", "does not match its contents"),
    ("DELETE FROM journal WHERE seq = 3", "sequence number 3 is missing"),
    ("UPDATE journal SET prev_hash = hash WHERE seq = 3", "previous hash"),
])
def test_verification_names_the_first_bad_event(journal, tamper, reason):
    for n in range(5):
        with journal.transaction() as tx:
            tx.record("charge", "0102", {"fee": str(n)})
    journal.db.execute("DROP TRIGGER journal_append_only_update")
    journal.db.execute("DROP TRIGGER journal_append_only_delete")
    journal.db.execute(tamper)
    found = verify(journal.db)
    assert (found.ok, found.first_bad, found.count) == (False, 3, 2)
    assert reason in found.reason


def test_a_full_disk_refuses_the_transaction_and_keeps_what_committed(journal, tmp_path, key, in_force,
                                                                      station_clock):
    with journal.transaction() as tx:
        committed = tx.record("registration", "0101", {"visit_no": "100001"})
    pages = journal.db.execute("PRAGMA page_count").fetchone()[0]
    journal.db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own SQLITE_FULL, as on a full disk
    with pytest.raises(StationRefused, match="cannot write its journal.*full.*nothing was recorded"):
        with journal.transaction() as tx:
            tx.record("registration", "0101", {"name": "x" * 20000})
    assert "full" in journal.fault
    journal.close()
    again = Journal.open(tmp_path / "station.sqlite3", key, in_force, station_clock)
    assert list(again.events()) == [committed]
    with again.transaction() as tx:
        tx.record("registration", "0101", {"name": "x" * 20000})
    assert again.fault == "" and verify(again.db).count == 2
    again.close()


def test_a_write_error_from_the_operating_system_is_refused_and_loses_nothing(tmp_path, key_file):
    """A process whose files may not grow (RLIMIT_FSIZE: the OS answers EFBIG, as a failing disk
    would fail a write) commits small events, then is refused a large one."""
    script = textwrap.dedent(f"""
        import resource, signal
        from datetime import datetime, UTC
        from lifeline.workstation import store
        from lifeline.workstation.errors import StationRefused
        from lifeline.workstation.journal import InForce, Journal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        journal = Journal.open({str(tmp_path / "j.sqlite3")!r}, store.data_key({str(key_file)!r}),
                               InForce("S1", "p1", "v1"), lambda: datetime(2026, 12, 6, tzinfo=UTC))
        for n in range(3):
            with journal.transaction() as tx:
                tx.record("charge", "0102", {{"n": n}})
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
        try:
            with journal.transaction() as tx:
                tx.record("charge", "0102", {{"blob": "x" * 400_000}})
        except StationRefused as refused:
            print("refused:", refused)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "refused: the station cannot write its journal" in done.stdout, done.stderr
    db = store.connect(tmp_path / "j.sqlite3", store.data_key(key_file))
    found = verify(db)
    assert found.ok and found.count == 3
    db.close()

"""Patient data at rest: the journal and the base data are unreadable without the station's key file."""
import sqlite3

import pytest

from lifeline.workstation import store
from lifeline.workstation.journal import Journal

PLANTED = "欧阳娜娜"


def _all_bytes(directory) -> bytes:
    return b"".join(path.read_bytes() for path in directory.iterdir() if path.is_file())


def test_the_journal_on_disk_holds_no_patient_name_and_opens_only_with_the_key(tmp_path, key, in_force,
                                                                              station_clock):
    path = tmp_path / "station.sqlite3"
    journal = Journal.open(path, key, in_force, station_clock)
    with journal.transaction() as tx:
        tx.record("new_patient", "0101", {"name": PLANTED, "phone": "13800138000"})
    # The WAL file counts too: the event is in it until a checkpoint.
    assert (tmp_path / "station.sqlite3-wal").exists()
    data = _all_bytes(tmp_path)
    assert PLANTED.encode() not in data and b"13800138000" not in data and b"new_patient" not in data
    journal.close()

    with pytest.raises(store.WrongKey, match="does not open with this station's key"):
        store.connect(path, bytes(32))
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()
    again = store.connect(path, key)
    assert PLANTED in again.execute("SELECT payload FROM journal").fetchone()[0]
    again.close()


def test_base_data_is_sealed_from_the_applied_chain(tmp_path, key):
    plain = tmp_path / "plain.sqlite3"
    db = sqlite3.connect(plain)
    db.execute("CREATE TABLE patient (card_no TEXT PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO patient VALUES ('0001', ?)", (PLANTED,))
    db.commit()
    db.close()
    sealed_dir = tmp_path / "sealed"
    sealed_dir.mkdir()
    store.encrypt_copy(plain, sealed_dir / "base.sqlite3", key)
    assert PLANTED.encode() not in _all_bytes(sealed_dir)
    base = store.connect(sealed_dir / "base.sqlite3", key, durable=False)
    assert base.execute("SELECT name FROM patient").fetchone() == (PLANTED,)
    base.close()
    with pytest.raises(store.WrongKey):
        store.connect(sealed_dir / "base.sqlite3", store.data_key(__file__))


def test_the_key_comes_from_the_key_file(key_file, tmp_path):
    other = tmp_path / "other.key"
    other.write_bytes(key_file.read_bytes() + b"!")
    assert store.data_key(key_file) == store.data_key(key_file)
    assert store.data_key(key_file) != store.data_key(other)
    assert len(store.data_key(key_file)) == 32

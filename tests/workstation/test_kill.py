"""Done-when of issue 15: five stations against one package, 2,000 mixed desk transactions each,
every station killed with kill -9 at a random moment and restarted to finish. Every event a
station acknowledged (printed after its COMMIT) is in its journal, every chain verifies, rows
and events agree, and no number is issued twice across the stations."""
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from lifeline.workstation import numbering, store
from lifeline.workstation.journal import InForce, verify
from lifeline.workstation.leases import KINDS, Lease, next_range
from lifeline.workstation.station import Station
from tests.workstation.base_data import ROWS, write_base
from tests.workstation.kill_worker import DESK, cashier_of

STATIONS = [f"S{n}" for n in range(1, 6)]
TOTAL = 2000
LEASE = 2500  # numbers of each kind per station: more than a station can use in TOTAL steps

ROOT = Path(__file__).resolve().parents[2]  # the checkout: `tests` importable in the child


def _base_rows() -> dict:
    rows = dict(ROWS)
    rows["invoice_range"] = [(f"R{n}", cashier_of(name), n * 100_000, n * 100_000 + 9_999, n * 100_000)
                             for n, name in enumerate(STATIONS, 1)]
    rows["drug_stock"] = [("PH1", "Y001", "B1", "1000000", None), ("PH1", "Y002", "B1", "1000000", None)]
    return rows


def _prepare(tmp_path) -> dict:
    """Every station with the same base data and its leases, from the server's allocator. The
    stations' key file: one already in tmp_path (the hospital's, `lifeline station keys`) is
    kept, else random bytes."""
    if not (tmp_path / "station.key").exists():
        (tmp_path / "station.key").write_bytes(os.urandom(64))
    key = store.data_key(tmp_path / "station.key")
    leased: list[Lease] = []
    for name in STATIONS:
        directory = tmp_path / name
        directory.mkdir()
        write_base(directory, key, _base_rows())
        station = Station.open(directory, key, InForce(name, "full-1", "v1"), lambda: datetime.now(UTC))
        with station.journal.transaction() as tx:
            for kind in KINDS:
                first, last = next_range(leased, kind, LEASE, his_next=5_000_001)
                leased.append(Lease(f"{name}-{kind}", kind, first, last))
                numbering.receive(tx, leased[-1], "system")
        station.close()
    return {"key": key}


def _run_station(tmp_path, name: str, acked: list, kills: list, failures: list):
    """Start the station, kill it after a random number of acknowledged transactions, restart it."""
    rng = random.Random(name)
    kill_after = rng.randint(50, TOTAL - 50)
    command = [sys.executable, "-m", "tests.workstation.kill_worker", str(tmp_path / name), name, str(TOTAL)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for run in range(2):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for line in process.stdout:
            if line.startswith("ack "):
                acked.append(line.split()[2])
                if run == 0 and len(acked) >= kill_after:
                    time.sleep(rng.random() / 500)  # a random moment, inside the next transaction or between
                    os.kill(process.pid, signal.SIGKILL)
                    kills.append(name)
                    break
        process.wait()
        if process.returncode not in (0, -signal.SIGKILL):
            failures.append(f"{name}: exit {process.returncode}: {process.stderr.read()[-2000:]}")
            return
        if process.returncode == 0:
            return


def test_five_stations_killed_lose_nothing_and_never_share_a_number(tmp_path):
    key = _prepare(tmp_path)["key"]
    acked = {name: [] for name in STATIONS}
    kills, failures = [], []
    threads = [threading.Thread(target=_run_station, args=(tmp_path, name, acked[name], kills, failures))
               for name in STATIONS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not failures, failures
    assert sorted(kills) == STATIONS

    issued = Counter()
    for name in STATIONS:
        db = store.connect(tmp_path / name / "station.sqlite3", key)
        found = verify(db)
        assert found.ok, (name, found)
        ids = {row[0] for row in db.execute("SELECT event_id FROM journal")}
        assert not set(acked[name]) - ids, f"{name}: acknowledged events missing from the journal"
        kinds = Counter(row[0] for row in db.execute("SELECT kind FROM journal"))
        assert sum(kinds[k] for k in DESK) == TOTAL
        assert all(kinds[k] for k in DESK), f"{name}: not every kind of transaction ran: {kinds}"
        _rows_agree_with_events(db, kinds)
        issued.update(db.execute("SELECT kind, number FROM issued").fetchall())
        db.close()
    assert issued and max(issued.values()) == 1, "a number was issued twice"


def _rows_agree_with_events(db, kinds: Counter):
    """No half transaction: the station's rows are exactly what its events say."""
    count = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    assert count("SELECT count(*) FROM visits") == kinds["registration"]
    assert count("SELECT count(*) FROM new_patients") == kinds["new_patient"]
    assert count("SELECT count(*) FROM charges") == kinds["charge"]
    assert count("SELECT count(*) FROM charges WHERE status != 'paid'") == kinds["void"] + kinds["refund"]
    assert count("SELECT count(*) FROM prescriptions") == kinds["prescription"]
    assert count("SELECT count(*) FROM dispensings") == kinds["dispensing"] + kinds["manual_dispensing"]
    numbered = kinds["registration"] + kinds["new_patient"] + kinds["charge"] + kinds["prescription"]
    assert count("SELECT count(*) FROM issued") == numbered

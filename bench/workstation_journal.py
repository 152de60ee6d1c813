"""Workstation journal: the p99 of a station transaction against a bare SQLite insert, same run.

- ours: a cashier's charge (two items, an insurance patient), the whole desk transaction: the
  credential and invoice checks, the dictionary prices, a number from the lease, the charge rows
  and its hash-chained event, committed with WAL and synchronous=FULL, encrypted (SQLCipher).
- baseline: one row inserted and committed by Python's sqlite3, WAL and synchronous=FULL, plain
  (and the same with SQLCipher, to show what encryption costs by itself).
Goal (issue 15): a station transaction's p99 at most 20 ms. Prints p50, p99, the ratio, and
this process's CPU time per transaction (the part a busy machine cannot make worse by waiting
for the disk; the rest is mostly the fsync of the WAL at each commit).
"""
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' small base data set

from lifeline.workstation import charging, numbering, store  # noqa: E402
from lifeline.workstation.journal import InForce  # noqa: E402
from lifeline.workstation.leases import KINDS, Lease  # noqa: E402
from lifeline.workstation.station import Operator, Station  # noqa: E402
from tests.workstation.base_data import write_base  # noqa: E402

N = 1000
GOAL_MS = 20
LINES = [{"item_kind": "price_item", "item_code": "F001", "quantity": "1", "unit_price": "25.00"},
         {"item_kind": "drug", "item_code": "Y001", "quantity": "2", "unit_price": "12.50"}]


CPU = {}  # name of the measurement -> this process's CPU seconds per transaction


def timed(action, n=N, name="") -> list[float]:
    times, cpu = [], time.process_time()
    for i in range(n):
        start = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - start)
    CPU[name] = (time.process_time() - cpu) / n
    return times


def p99(times):
    return statistics.quantiles(times, n=100)[98]


def station_charges(directory: Path, key: bytes) -> list[float]:
    write_base(directory, key)
    station = Station.open(directory, key, InForce("B1", "full-1", "v1"), lambda: datetime.now(UTC))
    with station.journal.transaction() as tx:
        for kind in KINDS:
            numbering.receive(tx, Lease(kind, kind, 100_001, 100_000 + 10 * N), "system")
    cashier = Operator("0201", "赵收费", "cashier", datetime(2099, 1, 1, tzinfo=UTC))
    charging.set_invoice_number(station, cashier, 1000)
    try:
        return timed(lambda i: charging.charge(station, cashier, "C0002", 1000 + i, LINES, "wechat",
                                               insurance_no="YB0002", insurance_unit="某某公司"), name="ours")
    finally:
        station.close()


def bare_inserts(db, name: str) -> list[float]:
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)")
    payload = "x" * 400  # about an event's size

    def insert(i):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (payload) VALUES (?)", (payload,))
        db.execute("COMMIT")
    return timed(insert, name=name)


def report(name, times, cpu, baseline=None):
    line = (f"{name:<36} p50 {statistics.median(times) * 1000:6.2f} ms   p99 {p99(times) * 1000:6.2f} ms   "
            f"CPU {cpu * 1000:5.2f} ms")
    if baseline:
        line += f"   p99 ratio {p99(times) / p99(baseline):6.2f}x"
    print(line)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        key_file = tmp / "station.key"
        key_file.write_bytes(secrets.token_bytes(64))
        key = store.data_key(key_file)
        (tmp / "station").mkdir()
        plain = bare_inserts(sqlite3.connect(tmp / "plain.sqlite3", isolation_level=None), "plain")
        sealed = bare_inserts(store.connect(tmp / "sealed.sqlite3", key), "sealed")
        ours = station_charges(tmp / "station", key)
    print(f"Workstation journal, {N} transactions each (synchronous=FULL, WAL):")
    report("baseline: bare SQLite insert", plain, CPU["plain"])
    report("baseline: bare SQLCipher insert", sealed, CPU["sealed"], plain)
    report("ours: station charge transaction", ours, CPU["ours"], plain)
    verdict = "met" if p99(ours) * 1000 <= GOAL_MS else "NOT met"
    print(f"goal: station transaction p99 <= {GOAL_MS} ms: {verdict} ({p99(ours) * 1000:.2f} ms)")


if __name__ == "__main__":
    main()

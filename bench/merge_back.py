"""Merge-back of 20,000 journal events into the demo HIS, against a plain bulk insert of the same
rows in the same run, on PostgreSQL and on MariaDB.

- ours: `Writer.apply` in batches (default 200 events, as `lifeline merge`) of a downtime's mixed events
  (lifeline.his.demo_downtime: new patients, registrations, charges of one to three lines, a
  few refunds, prescriptions, dispensing; about 1.4 records per event): every record checked
  against the canonical model, the mapping's statements, one ledger row per event in the same
  transaction.
- baseline: the rows the merge wrote, read back from the HIS, inserted into the same tables of
  a freshly built identical HIS with SQLAlchemy Core's bulk insert (executemany, batched into
  multi-row INSERTs), in one transaction: what writing these rows costs without checks, mapping
  or ledger.
Goal (issue 16): at most 10 s, and at least 0.3 x the bulk insert's speed (time ratio <= 3.33).
Needs PostgreSQL at 127.0.0.1:5432 (user postgres) and MariaDB at 127.0.0.1:3306 (root); uses
and drops its own databases.
Usage: merge_back.py [--events N] [--patients N] [--batch N] [--database-prefix NAME] [--only postgresql|mariadb]
"""
import argparse
import secrets
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lifeline.his import demo_his, mapping  # noqa: E402
from lifeline.his.demo_downtime import downtime_changes  # noqa: E402
from lifeline.his.writer import Writer  # noqa: E402

SERVERS = {
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/{}", "postgres"),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/{}?charset=utf8mb4", "mysql"),
}
MERGED = [demo_his.PAT_MASTER_INDEX, demo_his.OUTP_REGISTER, demo_his.OUTP_CHARGE, demo_his.OUTP_PRESC,
          demo_his.OUTP_DISPENSE]
GOAL_SECONDS, GOAL_SPEED = 10.0, 0.3


def merged_rows(url) -> dict[sa.Table, list[dict]]:
    """The rows merge-back wrote (those with an emergency event id), without the sequence's ids."""
    engine = demo_his.connect(url)
    with engine.connect() as connection:
        found = {}
        for table in MERGED:
            columns = [c for c in table.columns if not (c.primary_key and isinstance(c.default, sa.Sequence))]
            found[table] = [dict(row._mapping) for row in connection.execute(
                sa.select(*columns).where(table.c.EMERGENCY_EVENT_ID.is_not(None)))]
    engine.dispose()
    return found


def bulk_insert(url, rows: dict[sa.Table, list[dict]]) -> float:
    engine = demo_his.connect(url)
    with engine.begin() as connection:
        started = time.perf_counter()
        for table, found in rows.items():
            connection.execute(table.insert(), found)
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def merge(url, changes, batch: int) -> tuple[float, float]:
    """Seconds and our process's CPU seconds of merging `changes` in batches of `batch` events."""
    path = Path(tempfile.mkdtemp()) / "his.yaml"
    path.write_text(demo_his.mapping_text(url), encoding="utf-8")
    writer = Writer(mapping.load(path))
    writer.ensure_ledger()
    started, cpu = time.perf_counter(), time.process_time()
    applied = sum(len(writer.apply(changes[start:start + batch])) for start in range(0, len(changes), batch))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    writer.dispose()
    assert applied == len(changes), (applied, len(changes))
    return elapsed, cpu


def run(engine_name: str, args):
    url, admin_db = SERVERS[engine_name]
    name = f"{args.database_prefix}_{engine_name}_{secrets.token_hex(3)}"
    admin = sa.create_engine(url.format(admin_db), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}" + (" CHARACTER SET utf8mb4"
                                                                 if engine_name == "mariadb" else ""))
    his = url.format(name)
    try:
        demo_his.build(his, args.patients, seed=1)
        changes = downtime_changes(his, args.events, seed=1)
        records = sum(len(change.records) for change in changes)
        ours, cpu = merge(his, changes, args.batch)
        rows = merged_rows(his)
        assert sum(map(len, rows.values())) == records, "every record is one row in the demo HIS"
        demo_his.build(his, args.patients, seed=1)
        baseline = bulk_insert(his, rows)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name}" + (" WITH (FORCE)" if engine_name == "postgresql"
                                                                  else ""))
        admin.dispose()
    speed = baseline / ours
    print(f"{engine_name:<10} merge-back {len(changes):,} events ({records:,} records) "
          f"ours {ours:6.2f} s   bulk insert {baseline:6.2f} s   ratio {ours / baseline:5.2f}x   "
          f"speed {speed:4.2f} of bulk (goal >= {GOAL_SPEED})   "
          f"{'meets' if ours <= GOAL_SECONDS and speed >= GOAL_SPEED else 'MISSES'} the goal "
          f"(<= {GOAL_SECONDS:.0f} s; ours: {cpu:.2f} s CPU)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=200, help="events per HIS transaction (as `lifeline merge`)")
    parser.add_argument("--database-prefix", default="lifeline_bench_merge_back")
    parser.add_argument("--only", choices=sorted(SERVERS))
    args = parser.parse_args()
    for engine_name in [args.only] if args.only else SERVERS:
        run(engine_name, args)


if __name__ == "__main__":
    main()

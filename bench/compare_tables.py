"""`lifeline compare` on 1,000,000 rows per side, against a plain full read of both tables in
the same run.

The old system's table is on MariaDB, the new one on PostgreSQL (the issue's case: different
products, different types for the same facts: DECIMAL(12,4) against numeric(14,2), a naive
DATETIME in Beijing time against timestamptz, padded names against trimmed ones). The new one
holds 50 planted differences (20 missing, 15 extra, 15 changed rows).

- baseline: both tables read whole, streamed with the same drivers and batch size, the same
  columns, nothing done with the rows — what any comparison that reads every row must pay.
- ours: `compare()`, which finds the 50 differences (checked).
Wall times include the database servers' work; on a shared machine they vary with its load, so
the process's own CPU seconds are printed beside them.
Loading uses LOAD DATA LOCAL INFILE (MariaDB) and COPY (PostgreSQL) of one generated file.
Needs MariaDB at 127.0.0.1:3306 (root) and PostgreSQL at 127.0.0.1:5432 (postgres); uses and
drops its own databases. Usage: compare_tables.py [--rows N] [--range-rows N] [--leaf-rows N]
"""
import argparse
import secrets
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lifeline.cutover.compare import compare  # noqa: E402
from lifeline.cutover.compare.spec import Spec  # noqa: E402

MARIADB = "mysql+pymysql://root@127.0.0.1:3306/{}?charset=utf8mb4&local_infile=1"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/{}"
OLD_TABLE = """CREATE TABLE his_patient (patient_id INT PRIMARY KEY, patient_name VARCHAR(40),
  phone VARCHAR(20), balance DECIMAL(12,4), registered_at DATETIME, active TINYINT)"""
NEW_TABLE = """CREATE TABLE patient (patient_id INT PRIMARY KEY, name VARCHAR(40), phone VARCHAR(20),
  balance NUMERIC(14,2), registered_at TIMESTAMPTZ, active BOOLEAN)"""
MISSING, EXTRA, CHANGED = 20, 15, 15


def spec(range_rows: int, leaf_rows: int) -> Spec:
    return Spec.model_validate({"range_rows": range_rows, "leaf_rows": leaf_rows, "tables": [{
        "name": "patients", "source": "his_patient", "target": "patient", "key": ["patient_id"],
        "columns": [{"source": "patient_name", "target": "name", "trim": True}, "phone",
                    {"name": "balance", "decimal": 2},
                    {"name": "registered_at", "time": "second", "zone": "Asia/Shanghai"}, "active"]}]})


def old_line(i: int) -> str:
    minutes = 7 * i
    day = f"2020-{1 + minutes // 44640 % 12:02d}-{1 + minutes // 1440 % 28:02d}"
    stamp = f"{day} {minutes // 60 % 24:02d}:{minutes % 60:02d}:00"
    return f"{i}\t患者{i:07d}  \t138{i:08d}\t{i % 5000}.{i % 100:02d}00\t{stamp}\t{int(i % 9 != 0)}\n"


def new_line(i: int, changed: bool = False) -> str:
    pid, name, phone, balance, stamp, active = old_line(i).rstrip("\n").split("\t")
    if changed:
        balance = f"{int(balance.split('.')[0]) + 1}.{balance.split('.')[1]}"
    return f"{pid}\t{name.strip()}\t{phone}\t{balance[:-2]}\t{stamp}+08\t{'t' if active == '1' else 'f'}\n"


def write_files(rows: int, folder: Path) -> tuple[Path, Path]:
    step = rows // (MISSING + CHANGED + 1)
    missing = {step * (k + 1) for k in range(MISSING)}
    changed = {step * (MISSING + k + 1) + 1 for k in range(CHANGED)}
    old, new = folder / "old.tsv", folder / "new.tsv"
    with old.open("w", encoding="utf-8") as o, new.open("w", encoding="utf-8") as n:
        for i in range(1, rows + 1):
            o.write(old_line(i))
            if i not in missing:
                n.write(new_line(i, i in changed))
        for i in range(rows + 1, rows + EXTRA + 1):
            n.write(new_line(i))
    return old, new


def load(rows: int, folder: Path, old_url: str, new_url: str):
    old, new = write_files(rows, folder)
    mariadb = sa.create_engine(old_url)
    with mariadb.begin() as connection:
        connection.exec_driver_sql(OLD_TABLE)
        connection.exec_driver_sql(f"LOAD DATA LOCAL INFILE '{old}' INTO TABLE his_patient "
                                   "CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t'")
    mariadb.dispose()
    postgres = sa.create_engine(new_url)
    with postgres.begin() as connection:
        connection.exec_driver_sql(NEW_TABLE)
        cursor = connection.connection.cursor()
        with cursor.copy("COPY patient FROM STDIN") as copy, new.open("rb") as source:
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        connection.exec_driver_sql("ANALYZE patient")
    postgres.dispose()


def full_read(url: str, query: str) -> int:
    engine = sa.create_engine(url)
    rows = 0
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=5_000).exec_driver_sql(query)
        for partition in result.partitions():
            rows += len(partition)
    engine.dispose()
    return rows


def database(server: str, admin: str, name: str, create: bool):
    engine = sa.create_engine(server.format(admin), isolation_level="AUTOCOMMIT")
    charset, force = (" CHARACTER SET utf8mb4", "") if admin == "mysql" else ("", " WITH (FORCE)")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}{charset}" if create
                                   else f"DROP DATABASE IF EXISTS {name}{force}")
    engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--range-rows", type=int, default=2_000)
    parser.add_argument("--leaf-rows", type=int, default=1_000)
    args = parser.parse_args()
    name = f"lifeline_cmp_bench_{secrets.token_hex(3)}"
    old_url, new_url = MARIADB.format(name), POSTGRES.format(name)
    database(MARIADB, "mysql", name, True)
    database(POSTGRES, "postgres", name, True)
    try:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            load(args.rows, Path(folder), old_url, new_url)
            print(f"loaded {args.rows:,} rows per side (MariaDB LOAD DATA, PostgreSQL COPY) "
                  f"in {time.perf_counter() - started:.1f} s", flush=True)
        started, cpu = time.perf_counter(), time.process_time()
        read = (full_read(old_url, "SELECT patient_id, patient_name, phone, balance, registered_at, active "
                                   "FROM his_patient"),
                full_read(new_url, "SELECT patient_id, name, phone, balance, registered_at, active FROM patient"))
        baseline, baseline_cpu = time.perf_counter() - started, time.process_time() - cpu
        started, cpu = time.perf_counter(), time.process_time()
        report = compare(old_url, new_url, spec(args.range_rows, args.leaf_rows))
        ours, cpu = time.perf_counter() - started, time.process_time() - cpu
        table = report.tables[0]
        assert table.counts == {"missing": MISSING, "extra": EXTRA, "changed": CHANGED}, table.counts
        print(f"rows read: {read[0]:,} MariaDB + {read[1]:,} PostgreSQL; found {table.differences} differences "
              f"({table.counts}); {table.ranges} ranges, {table.ranges_differing} differing, "
              f"{table.rows_reread:,} rows read again while drilling")
        print(f"{'compare (MariaDB vs PostgreSQL, ' + format(args.rows, ',') + ' rows per side)':<58} "
              f"ours {ours:8.2f} s   baseline (plain full read of both) {baseline:8.2f} s   "
              f"ratio {ours / baseline:5.2f}x   (CPU of this process: ours {cpu:.2f} s, "
              f"baseline {baseline_cpu:.2f} s)", flush=True)
    finally:
        database(MARIADB, "mysql", name, False)
        database(POSTGRES, "postgres", name, False)


if __name__ == "__main__":
    main()

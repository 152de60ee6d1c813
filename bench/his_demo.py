"""Demo HIS build and adapter read on PostgreSQL, against raw COPY in the same run.

- build: `demo_his.build` with N patients (default 1,000,000), against a raw COPY of N
  pre-generated patient rows (text already in memory) into an identical table — what any
  loader must pay at least.
- read: the adapter's full read of the patient entity (streamed, every value checked and
  normalised), against `COPY (SELECT … same query …) TO STDOUT` read by the client.
Prints one line per figure: ours, baseline, ratio. Needs PostgreSQL at 127.0.0.1:5432
(user postgres); uses and drops its own database. Usage: his_demo.py [--patients N]
"""
import argparse
import datetime
import os
import secrets
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifeline.settings")
django.setup()

import sqlalchemy as sa  # noqa: E402

from lifeline.continuity import adapter, demo_his, mapping  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/{}"


def report(name, ours, baseline):
    print(f"{name:<44} ours {ours:8.2f} s   baseline {baseline:8.2f} s   ratio {ours / baseline:6.2f}x")


def copy_baseline(url, patients) -> float:
    """COPY of pre-generated patient rows into a copy of PAT_MASTER_INDEX."""
    text = demo_his.copy_text(demo_his.patient_rows(demo_his.Pools(2), 1, patients, datetime.datetime.now()))
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql('CREATE TABLE "PAT_COPY" (LIKE "PAT_MASTER_INDEX" INCLUDING ALL)')
    with engine.begin() as connection:
        started = time.perf_counter()
        with connection.connection.driver_connection.cursor() as cursor, \
                cursor.copy('COPY "PAT_COPY" FROM STDIN') as copy:
            for start in range(0, len(text), 1 << 20):
                copy.write(text[start:start + (1 << 20)])
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def copy_out(url, query) -> float:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        started = time.perf_counter()
        with connection.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
            for _block in copy:
                pass
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def adapter_read(path) -> tuple[float, int]:
    source = adapter.HisSource(mapping.load(path), batch_size=5000)
    started = time.perf_counter()
    with source.snapshot() as snap:
        count = sum(1 for _ in snap.read("patient"))
    return time.perf_counter() - started, count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    patients = parser.parse_args().patients
    name = f"lifeline_bench_his_{secrets.token_hex(4)}"
    admin = sa.create_engine(SERVER.format("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = SERVER.format(name)
    try:
        started = time.perf_counter()
        demo_his.build(url, patients, seed=1)
        built = time.perf_counter() - started
        report(f"demo HIS build, {patients:,} patients", built, copy_baseline(url, patients))
        path = Path(f"/tmp/{name}.yaml")
        path.write_text(demo_his.mapping_text(url), encoding="utf-8")
        read, count = adapter_read(path)
        assert count == patients, count
        report(f"adapter read of {count:,} patients", read,
               copy_out(url, mapping.load(path).entities["patient"].query))
        path.unlink()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()


if __name__ == "__main__":
    main()

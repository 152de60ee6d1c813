"""Demo HIS build and adapter reads on PostgreSQL, against raw COPY in the same run.

- build: `demo_his.build` with N patients (default 1,000,000), against a raw COPY of N
  pre-generated patient rows (text already in memory) into an identical table — what any
  loader must pay at least.
- reads: the adapter's full read (streamed, every value checked and normalised) of the patient
  entity as batches of tuples (what a snapshot build uses) and as dicts, and of every entity,
  against `COPY (the same queries) TO STDOUT` read by the client (`copy_out`, reusable by other
  benchmarks). Reads are timed three times, alternating with COPY; the best of each is compared.
Prints one line per figure: ours, baseline, ratio (and our process's CPU seconds). Needs
PostgreSQL at 127.0.0.1:5432 (user postgres); uses and drops its own database.
Usage: his_demo.py [--patients N]
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

from lifeline.his import demo_his, mapping, reader  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/{}"


def report(name, ours, baseline, cpu=None):
    line = f"{name:<58} ours {ours:8.2f} s   baseline {baseline:8.2f} s   ratio {ours / baseline:6.2f}x"
    print(line + (f"   (ours: {cpu:.2f} s CPU)" if cpu is not None else ""), flush=True)


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


def copy_out(url, queries) -> tuple[float, int]:
    """Seconds and bytes of `COPY (query) TO STDOUT` of each query, read by the client in one
    repeatable-read transaction: the least any reader of these queries pays."""
    engine = sa.create_engine(url)
    size = 0
    with engine.connect() as connection:
        connection.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ")
        started = time.perf_counter()
        with connection.connection.driver_connection.cursor() as cursor:
            for query in queries:
                with cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
                    for block in copy:
                        size += len(block)
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, size


def adapter_read(path, entities, form) -> tuple[float, float, int]:
    """Seconds, CPU seconds and rows of one snapshot reading `entities` as "batches" or "dicts"."""
    source = reader.HisSource(mapping.load(path))
    started, cpu = time.perf_counter(), time.process_time()
    count = 0
    with source.snapshot() as snap:
        for name in entities:
            read = snap.read(name)
            if form == "batches":
                count += sum(len(batch) for batch in read.batches())
            else:
                count += sum(1 for _ in read)
    return time.perf_counter() - started, time.process_time() - cpu, count


def compare(url, path, entities, form, expected=None):
    """Best of three of our read and of COPY of the same queries, alternating."""
    queries = [mapping.load(path).entities[name].query for name in entities]
    ours, copies = [], []
    for _ in range(3):
        ours.append(adapter_read(path, entities, form))
        copies.append(copy_out(url, queries)[0])
    wall, cpu, count = min(ours)
    assert expected is None or count == expected, count
    what = f"{count:,} patients" if entities == ["patient"] else f"every entity ({count:,} rows)"
    report(f"adapter read of {what}, {form}", wall, min(copies), cpu)


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
        compare(url, path, ["patient"], "batches", patients)
        compare(url, path, ["patient"], "dicts", patients)
        compare(url, path, list(mapping.load(path).entities), "batches")
        path.unlink()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()


if __name__ == "__main__":
    main()

"""Snapshot packages on PostgreSQL: a full build against raw COPY of the same queries, then an
incremental after `his churn --percent 1`, in the same run.

- COPY: `COPY (<each entity's mapping query>) TO STDOUT`, every entity, read by the client in
  one transaction: what any reader of the HIS must pay at least.
- full build: `lifeline snapshot build` in a subprocess (wall time, the build's own duration,
  the process's peak resident memory) — read, check, write, encrypt, sign and publish.
- incremental: `lifeline snapshot build --incremental` after 1 % of the base data changed.

Goals (issue 5): full build of 1,000,000 patients <= 60 s and >= 0.3 x COPY speed (COPY time /
build time), incremental <= 5 s; each printed as met or NOT MET, with its baseline. Where the
time goes, and the alternatives measured: docs/snapshots.md ("How a full build spends its time").

Needs PostgreSQL at 127.0.0.1:5432 (user postgres); uses and drops its own database and a
temporary data directory. Usage: snapshot.py [--patients N]
"""
import argparse
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOME = Path(tempfile.mkdtemp(prefix="lifeline-bench-snapshot-"))
os.environ["LIFELINE_DATA_DIR"] = str(HOME)
os.environ["LIFELINE_DATABASE_URL"] = f"sqlite:///{HOME}/lifeline.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifeline.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

import sqlalchemy as sa  # noqa: E402
from django.core.management import call_command  # noqa: E402

from lifeline.his import demo_his, mapping  # noqa: E402
from lifeline.snapshots import storage  # noqa: E402
from lifeline.snapshots.models import SnapshotBuild  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/{}"
LIFELINE = str(Path(sys.executable).with_name("lifeline"))


def copy_all(url, path) -> tuple[float, int]:
    """Seconds and bytes of COPY (query) TO STDOUT of every entity's query, in one transaction."""
    queries = [spec.query for spec in mapping.load(path).entities.values()]
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


def build(path, *flags) -> tuple[float, SnapshotBuild]:
    started = time.perf_counter()
    done = subprocess.run([LIFELINE, "snapshot", "build", "--mapping", str(path), *flags], capture_output=True,
                          text=True)
    elapsed = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"build failed: {done.stderr}")
    return elapsed, SnapshotBuild.objects.order_by("-started_at", "-id").first()


def met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    patients = parser.parse_args().patients
    call_command("migrate", verbosity=0)
    storage.keystore().create()
    name = f"lifeline_bench_snapshot_{secrets.token_hex(4)}"
    admin = sa.create_engine(SERVER.format("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        shutil.rmtree(HOME, ignore_errors=True)
        sys.exit(f"this benchmark needs PostgreSQL at 127.0.0.1:5432 (user postgres): {exc.orig}")
    url = SERVER.format(name)
    try:
        demo_his.build(url, patients, seed=1)
        path = HOME / "his.yaml"
        path.write_text(demo_his.mapping_text(url), encoding="utf-8")
        copy_seconds, copy_bytes = copy_all(url, path)
        print(f"COPY (same queries) TO STDOUT       {copy_seconds:8.2f} s   {copy_bytes / 1e6:8.1f} MB of text")

        wall, full = build(path)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows = sum(full.row_counts.values())
        speed = copy_seconds / full.duration_seconds
        print(f"full build, {patients:,} patients       {full.duration_seconds:8.2f} s   (command {wall:.2f} s)   "
              f"{rows:,} rows   package {full.size_bytes / 1e6:.1f} MB   peak memory {peak:.0f} MB")
        print(f"  speed against COPY                {speed:8.2f} x   (COPY {copy_seconds:.2f} s / build "
              f"{full.duration_seconds:.2f} s; goal >= 0.30: {met(speed >= 0.3)}; build <= 60 s: "
              f"{met(full.duration_seconds <= 60)}; peak memory <= 200 MB: {met(peak <= 200)})")

        changed = demo_his.churn(url, percent=1, seed=2)
        wall, incremental = build(path, "--incremental")
        print(f"incremental after churn 1 %         {incremental.duration_seconds:8.2f} s   (command {wall:.2f} s)   "
              f"{sum(incremental.row_counts.values()):,} rows, {sum(incremental.deleted_counts.values()):,} deleted "
              f"(churn: {sum(len(keys) for keys in changed.values()):,} keys)")
        print(f"  against the full build            {incremental.duration_seconds / full.duration_seconds:8.2f} x   "
              f"(goal <= 5 s: {met(incremental.duration_seconds <= 5)})")
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()
        shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()

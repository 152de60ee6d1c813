"""A full snapshot build of a normalised HIS against a plain SELECT of the same queries, in the
same run (issue 14).

The HIS is the tests' normalised schema (tests/his/normalised_his.py: a patient spread
over person, person_name, identifier and person_attribute, the current price the latest dated
row, voided rows), so most of the database's work is the joins of the patient query.

- SELECT: each entity's mapping query run as it is with the driver's plain cursor, every row
  fetched into Python, in one REPEATABLE READ transaction: what any reader of this HIS pays at
  least. (A server-side cursor would be slower on PostgreSQL, whose planner prefers fast-start
  plans for cursors.)
- full build: `lifeline snapshot build` in a subprocess (the build's own duration, and the
  command's) — read, check, hash, store, encrypt, sign and publish.
- second full build, after 1 % of the patients were renamed and 100 phones voided: the same
  again, which also compares itself with the chain it replaces (the drift check: the patients'
  key indexes compared key by key) before publishing; it should find the 100, not the renamed.

The ratio printed is build time / SELECT time (how many times a plain read the build costs).
Needs PostgreSQL at 127.0.0.1:5432 (user postgres) and/or MariaDB at 127.0.0.1:3306 (root);
uses and drops its own databases and a temporary data directory.
Usage: snapshot_normalised.py [--patients N] [--engine postgresql|mariadb ...]
"""
import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOME = Path(tempfile.mkdtemp(prefix="lifeline-bench-normalised-"))
os.environ["LIFELINE_DATA_DIR"] = str(HOME)
os.environ["LIFELINE_DATABASE_URL"] = f"sqlite:///{HOME}/lifeline.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifeline.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

import sqlalchemy as sa  # noqa: E402
from django.core.management import call_command  # noqa: E402

from lifeline.his import mapping  # noqa: E402
from lifeline.snapshots import storage  # noqa: E402
from lifeline.snapshots.models import SnapshotBuild  # noqa: E402
from tests.his import normalised_his  # noqa: E402

SERVERS = {
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/{}", "postgres", ""),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/{}?charset=utf8mb4", "mysql", " CHARACTER SET utf8mb4"),
}
LIFELINE = str(Path(sys.executable).with_name("lifeline"))


def select_all(url: str, path: Path) -> tuple[float, int]:
    """Seconds and rows of every entity's query, each row fetched into Python by the driver's plain
    cursor (the whole result sent at once, as any client reads it), in one transaction."""
    queries = [spec.query for spec in mapping.load(path).entities.values()]
    engine = sa.create_engine(url, isolation_level="REPEATABLE READ")
    raw = engine.raw_connection()
    rows = 0
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        for query in queries:
            cursor.execute(query)
            while batch := cursor.fetchmany(2000):
                rows += len(batch)
        elapsed = time.perf_counter() - started
        raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return elapsed, rows


def build(path: Path) -> tuple[float, SnapshotBuild]:
    started = time.perf_counter()
    done = subprocess.run([LIFELINE, "snapshot", "build", "--mapping", str(path)], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"build failed: {done.stderr}")
    return elapsed, SnapshotBuild.objects.order_by("-started_at", "-id").first()


def run(engine: str, patients: int):
    server, admin_db, charset = SERVERS[engine]
    name = f"lifeline_bench_normalised_{secrets.token_hex(4)}"
    admin = sa.create_engine(server.format(admin_db), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}{charset}")
    except sa.exc.OperationalError as exc:
        print(f"{engine}: skipped, unreachable ({exc.orig})")
        return
    url = server.format(name)
    try:
        started = time.perf_counter()
        counts = normalised_his.build(url, patients)
        print(f"{engine}: normalised HIS of {patients:,} patients ({sum(counts.values()):,} rows in "
              f"{len(counts)} tables) loaded in {time.perf_counter() - started:.1f} s")
        path = HOME / f"{engine}.yaml"
        path.write_text(normalised_his.mapping_text(url), encoding="utf-8")
        select_all(url, path)  # warm the database's cache, as a build would find it
        seconds, rows = select_all(url, path)
        print(f"  plain SELECT (same queries)   {seconds:8.2f} s   {rows:,} rows")
        wall, full = build(path)
        print(f"  full build                    {full.duration_seconds:8.2f} s   (command {wall:.2f} s)   "
              f"{sum(full.row_counts.values()):,} rows   package {full.size_bytes / 1e6:.1f} MB")
        print(f"    build / SELECT              {full.duration_seconds / seconds:8.2f} x")
        # Between the builds: 1 % of the patients renamed (their watermark moves: an incremental would
        # read them) and 100 phones voided (no watermark moves: drift), so the check compares keys.
        normalised_his.execute(url, "UPDATE person_name SET given_name = '新名', date_changed = {NOW} "
                                    "WHERE person_id > 100 AND person_id % 100 = 7")
        normalised_his.execute(url, "UPDATE person_attribute SET voided = 1, date_changed = {NOW} "
                                    "WHERE attribute_type = 'PHONE' AND person_id <= 100")
        wall, again = build(path)
        drifted = sum(d["keys"] for d in (again.drift or {}).values())
        print(f"  full build with drift check   {again.duration_seconds:8.2f} s   (command {wall:.2f} s)   "
              f"{drifted} keys drifted (100 phones voided, {patients // 100 - 1:,} patients renamed)")
        print(f"    build / SELECT              {again.duration_seconds / seconds:8.2f} x")
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name}" + (" WITH (FORCE)" if engine == "postgresql" else ""))
        admin.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--engine", choices=list(SERVERS), action="append")
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    storage.keystore().create()
    try:
        for engine in options.engine or list(SERVERS):
            run(engine, options.patients)
    finally:
        shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()

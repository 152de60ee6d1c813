"""Real `lifeline worker` processes: killed with SIGKILL mid-batch and restarted, and two side by side
on PostgreSQL. Each timer fires exactly once: one fired row, one timeline entry.

Not on Lifeline's test database (no django_db): the workers have databases of their own (a SQLite
file; a PostgreSQL database made here), so the PostgreSQL pass of `make test` would run the same
thing twice."""
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]
LIFELINE = [sys.executable, "-m", "lifeline.cli"]
# Where the two-worker test makes (and drops) its own database, whatever the test database is.
POSTGRES = os.environ.get("LIFELINE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
# Its own name each run: runs side by side (parallel passes, other checkouts) never share it.
WORKERS_DB = f"lifeline_incidents_workers_{secrets.token_hex(4)}"

FIRED_ENTRIES = "select count(*), count(distinct {timer}) from incidents_timelineentry where kind = 'timer' " \
                "and text like 'Timer fired%'"


def environment(tmp_path, database_url=None, offset=0):
    env = {**os.environ, "LIFELINE_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": str(ROOT), "LIFELINE_CLOCK_OFFSET_SECONDS": str(offset)}
    env.pop("LIFELINE_DATABASE_URL", None)
    if database_url:
        env["LIFELINE_DATABASE_URL"] = database_url
    return env


def run(env, *args):
    subprocess.run([*LIFELINE, *args], env=env, cwd=ROOT, check=True, capture_output=True)


def start_worker(env):
    return subprocess.Popen([*LIFELINE, "worker", "--tick", "0.05"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError("the workers did not get there in time")


def test_worker_killed_mid_batch_fires_each_timer_exactly_once_after_restart(tmp_path):
    env = environment(tmp_path)
    run(env, "migrate", "-v0")
    # Three incidents of seed 004 opened now, each with 200 extra timers due at T+30 min.
    run(env, "shell", "-c", "from tests.incidents.workers import seed; seed(3, 200, 30)")
    db = sqlite3.connect(tmp_path / "lifeline.sqlite3", timeout=20)

    def count(sql):
        return db.execute(sql).fetchone()[0]

    due = "select count(*) from incidents_timer where due_at <= datetime('now', '+31 minutes')"
    total = count(due)
    assert total >= 606 and count("select count(*) from incidents_timer where status = 'fired'") == 0

    # The worker lives at T+31 min: every one of those timers is due. Kill it once some have fired.
    later = environment(tmp_path, offset=31 * 60)
    worker = start_worker(later)
    try:
        wait_for(lambda: count("select count(*) from incidents_timer where status = 'fired'") >= 10)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    fired = count("select count(*) from incidents_timer where status = 'fired'")
    assert 10 <= fired < total, "the kill should land mid-batch"
    # Nothing half-fired: each fired timer has its one timeline entry, no pending one has any.
    assert db.execute(FIRED_ENTRIES.format(timer="json_extract(data, '$.timer')")).fetchone() == (fired, fired)

    worker = start_worker(later)
    try:
        wait_for(lambda: count("select count(*) from incidents_timer where status = 'pending' and "
                               "due_at <= datetime('now', '+31 minutes')") == 0)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)
    assert count("select count(*) from incidents_timer where status = 'fired'") == total
    assert db.execute(FIRED_ENTRIES.format(timer="json_extract(data, '$.timer')")).fetchone() == (total, total)
    # The 3 h timers are not due at T+31 min: not lost, still waiting.
    assert count("select count(*) from incidents_timer where key = 'overall_fault:manual_operation' "
                 "and status = 'pending'") == 3
    db.close()


def test_two_workers_on_postgresql_fire_each_of_1000_timers_once(tmp_path):
    server = urlsplit(POSTGRES)
    admin = psycopg.connect(host=server.hostname, port=server.port or 5432, user=server.username,
                            password=server.password, dbname="postgres", autocommit=True)
    admin.execute(f"drop database if exists {WORKERS_DB} with (force)")
    admin.execute(f"create database {WORKERS_DB}")
    workers = []
    try:
        env = environment(tmp_path, f"{POSTGRES}/{WORKERS_DB}")
        run(env, "migrate", "-v0")
        # Ten incidents with 100 timers each, due tomorrow; made due once both workers run.
        run(env, "shell", "-c", "from tests.incidents.workers import seed; seed(10, 100, 24 * 60)")
        with psycopg.connect(f"{POSTGRES}/{WORKERS_DB}", autocommit=True) as db:
            def count(sql):
                return db.execute(sql).fetchone()[0]

            workers = [start_worker(env) for _ in range(2)]
            wait_for(lambda: count("select count(*) from core_workerbeat") == 2)
            due = db.execute("update incidents_timer set due_at = now() - interval '1 second' "
                             "where key like 'load:%'").rowcount
            assert due == 1000
            wait_for(lambda: count("select count(*) from incidents_timer where key like 'load:%' "
                                   "and status = 'pending'") == 0)
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                assert worker.wait(timeout=15) == 0
            assert count("select count(*) from incidents_timer where key like 'load:%' and status = 'fired'") == 1000
            entries, distinct = db.execute(FIRED_ENTRIES.format(timer="data->>'timer'")).fetchone()
            fired_now = count("select count(*) from incidents_timer where status = 'fired'")
            assert entries == distinct == fired_now >= 1000
            assert count("select count(*) from incidents_timelineentry where kind = 'mode'") == 1000
            assert count("select count(distinct fired_by) from incidents_timer where key like 'load:%'") == 2
    finally:
        for worker in workers:
            worker.kill()
            worker.wait(timeout=10)
        admin.execute(f"drop database if exists {WORKERS_DB} with (force)")
        admin.close()

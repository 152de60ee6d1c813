"""Done-when of issue 16 for the writer: a merge-back killed with kill -9 at 20 random points and
run again leaves the HIS, table by table, as one clean run does (PostgreSQL and MariaDB); and a
writer that loses a race to another applies only what the other did not."""
import datetime
import pickle
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from lifeline.his import demo_his
from lifeline.his.demo_downtime import downtime_changes
from lifeline.his.writer import LEDGER, Writer, ledger_metadata
from tests.his.conftest import build_demo
from tests.his.merged import expected, held

DATABASE_PREFIX = "lifeline_h16writer"
SERVERS = ["postgresql", "mariadb"]
ROOT = Path(__file__).resolve().parents[2]  # the checkout: `tests` importable in the child
NOW = datetime.datetime(2026, 3, 2, 7, 0)
EVENTS, BATCH, KILLS = 1200, 40, 20


def his_tables(url: str) -> dict[str, list[tuple]]:
    """Every table of the HIS as sorted rows, without what differs between equal runs: ids a
    sequence numbered (a transaction rolled back still used its numbers) and the ledger's
    applied_at."""
    engine = demo_his.connect(url)
    try:
        with engine.connect() as connection:
            found = {}
            for table in [*demo_his.metadata.sorted_tables, *ledger_metadata.sorted_tables]:
                columns = [c for c in table.columns if c.name != "applied_at"
                           and not (c.primary_key and isinstance(c.default, sa.Sequence))]
                rows = connection.execute(sa.select(*columns)).all()
                found[table.name] = sorted((tuple(row) for row in rows), key=repr)
            return found
    finally:
        engine.dispose()


def run_worker(mapping_path, changes_path, stop_at: int) -> str:
    """Run the worker; at step `stop_at` kill it with SIGKILL. Its last line ("stopped" when killed)."""
    worker = subprocess.Popen([sys.executable, "-m", "tests.his.merge_worker", str(mapping_path), str(changes_path),
                               str(BATCH), str(stop_at)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    line = worker.stdout.readline().strip()
    if line == "stopped":
        worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=120)
    worker.stdin.close()
    worker.stdout.close()
    assert line == "stopped" or (line.startswith("done") and worker.returncode == 0), (line, worker.returncode)
    return line


@pytest.mark.parametrize("his_url", SERVERS, indirect=True)
def test_a_merge_killed_at_20_random_points_and_run_again_equals_one_clean_run(his_url, tmp_path):
    demo_his.build(his_url, 300, seed=7, now=NOW)
    mapping_path = tmp_path / "his.yaml"
    mapping_path.write_text(demo_his.mapping_text(his_url), encoding="utf-8")
    changes_path = tmp_path / "changes.pickle"
    changes_path.write_bytes(pickle.dumps(downtime_changes(his_url, EVENTS, seed=21)))

    clean = run_worker(mapping_path, changes_path, 0)
    steps = int(clean.split()[1])
    expected = his_tables(his_url)
    assert len(expected[LEDGER.name]) == EVENTS

    demo_his.build(his_url, 300, seed=7, now=NOW)  # the same HIS again, nothing merged
    rng = random.Random(16)
    kills = 0
    for _ in range(KILLS):
        # about a twentieth of a whole run's steps each time: the kills fall all along the merge
        kills += run_worker(mapping_path, changes_path, rng.randint(1, 2 * steps // KILLS)) == "stopped"
    assert kills == KILLS
    assert run_worker(mapping_path, changes_path, 0).startswith("done")
    assert his_tables(his_url) == expected


@pytest.mark.parametrize("his_url", SERVERS, indirect=True)
def test_a_writer_that_lost_the_race_retries_without_the_events_the_other_applied(his_url, tmp_path_factory):
    """The first writer holds its ledger rows uncommitted until the second has sent its own."""
    demo = build_demo(his_url, tmp_path_factory, patients=300)  # (SQLite lets one writer in at a time)
    changes = downtime_changes(demo.url, 80, seed=19)
    first, second = Writer(demo.mapping), Writer(demo.mapping)
    first.ensure_ledger()
    first_inserted, second_sent = threading.Event(), threading.Event()
    ledger_inserts = []

    def ledger_insert(statement):
        return statement.lstrip().upper().startswith("INSERT") and "LIFELINE_MERGE_LEDGER" in statement

    @sa.event.listens_for(first.engine, "after_cursor_execute")
    def _inserted(conn, cursor, statement, parameters, context, executemany):
        if ledger_insert(statement):
            first_inserted.set()

    @sa.event.listens_for(second.engine, "before_cursor_execute")
    def _sent(conn, cursor, statement, parameters, context, executemany):
        if ledger_insert(statement):
            ledger_inserts.append(statement)
            second_sent.set()

    @sa.event.listens_for(first.engine, "commit")
    def _wait(conn):
        second_sent.wait(10)

    def run_second():
        first_inserted.wait(10)
        results["second"] = second.apply(changes[30:])

    results = {}
    threads = [threading.Thread(target=lambda: results.__setitem__("first", first.apply(changes[:50]))),
               threading.Thread(target=run_second)]
    threads[0].start()
    threads[1].start()
    for thread in threads:
        thread.join()
    first.dispose()
    second.dispose()
    assert results["first"] == [c.event_id for c in changes[:50]]
    assert results["second"] == [c.event_id for c in changes[50:]]
    assert len(ledger_inserts) == 2  # refused once on the first's keys, then without them
    assert held(demo, changes) == expected(changes)

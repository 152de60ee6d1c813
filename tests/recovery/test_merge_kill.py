"""`lifeline merge` killed with kill -9 at 20 random points and run again gives the HIS exactly what
a clean run gives, table by table, on PostgreSQL and MariaDB demo HIS databases (scratch databases
named h16merge_…): every event once, drills never, the dry run writing nothing.

Each kill comes a random number of batches (of BATCH events) into a run, a random few
milliseconds after a batch committed: between two batches or inside the next one's HIS
transaction. A run commits at least one batch before its kill, so the 20 kills land at 20
different points of the merge."""
import json
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lifeline.his.writer import LEDGER_NAME
from tests.recovery.merge_data import build_his, downtime, facts, scratch_database
from tests.snapshots.helpers import LIFELINE, cli_env, migrated_home  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]  # the checkout: `tests` importable in the child
STATIONS = 5
KILLS = 20
BATCH = 2  # events per HIS transaction: ~230 events give ~115 batches, enough for 20 kills to land apart


@pytest.fixture(params=["postgresql", "mariadb"])
def engine(request):
    return request.param


def his_and_home(engine, tmp_path_factory, migrated_home, journals, name):  # noqa: F811
    """A fresh demo HIS on `engine` and a Lifeline home holding the received journals, its
    snapshot mapping pointing at that HIS."""
    url, drop = scratch_database(engine, tmp_path_factory)
    try:
        directory = tmp_path_factory.mktemp(name)
        his = build_his(url, directory)
        home = directory / "home"
        shutil.copytree(migrated_home, home)
        env = cli_env(home, LIFELINE_SNAPSHOT_MAPPING=str(his.mapping_path), PYTHONPATH=str(ROOT))
        if journals is None:
            f = facts(his)
            journals = [downtime(f"收费-{n:02d}", f, 800000 + n * 10000, 70000 + n * 100, patients=8).events
                        for n in range(1, STATIONS + 1)]
        (directory / "journals.json").write_text(json.dumps(journals, ensure_ascii=False), encoding="utf-8")
        subprocess.run([LIFELINE, "shell", "-c", "from tests.recovery.merge_data import receive_file; "
                        f"receive_file({str(directory / 'journals.json')!r})"], env=env, cwd=ROOT, check=True,
                       timeout=300)
    except BaseException:
        drop()  # the scratch database never outlives the test
        raise
    return his, env, journals, drop


def merge(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([LIFELINE, "merge", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def killed_merge(env, rng) -> int:
    """Run `lifeline merge --batch BATCH`, kill -9 it a random moment after a random number of
    batches (1 to 5) committed; its exit code."""
    child = subprocess.Popen([LIFELINE, "merge", "--batch", str(BATCH)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    batches = rng.randint(1, 5)
    try:
        for n, _line in enumerate(child.stdout, start=1):
            if n >= batches:
                time.sleep(rng.random() / 100)  # a random moment: between batches or inside the next one
                child.send_signal(signal.SIGKILL)
                break
    finally:
        child.wait(timeout=120)
    return child.returncode


def test_killed_anywhere_and_run_again_the_his_holds_each_event_once(engine, tmp_path_factory, migrated_home):
    clean, clean_env, journals, drop_clean = his_and_home(engine, tmp_path_factory, migrated_home, None, "clean")
    try:
        killed, killed_env, _journals, drop_killed = his_and_home(engine, tmp_path_factory, migrated_home, journals,
                                                                  "killed")
    except BaseException:
        drop_clean()
        raise
    try:
        dry = merge(killed_env, "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "演练" in dry.stdout or "drill" in dry.stdout
        assert killed.emergency_rows()["OUTP_CHARGE"] == [] and not killed.query(
            "SELECT 1 FROM {PAT_MASTER_INDEX} WHERE {PATIENT_ID} LIKE 'T%'")

        done = merge(clean_env)
        assert done.returncode == 0, done.stderr
        expected = clean.emergency_rows()
        events = [e for journal in journals for e in journal if e["mode"] != "drill"]
        assert expected["LEDGER"] == sorted(e["event_id"] for e in events)
        assert len(expected["OUTP_CHARGE"]) == sum(
            len(e["payload"]["lines"]) for e in events if e["kind"] == "charge") + STATIONS  # a refund each

        rng = random.Random(engine)
        points = []  # events in the HIS's ledger after each kill
        while len(points) < KILLS and killed_merge(killed_env, rng) == -signal.SIGKILL:
            points.append(killed.query(f"SELECT COUNT(*) FROM {{{LEDGER_NAME}}}")[0][0])
        assert len(points) == KILLS, f"the merge finished after {len(points)} kills"
        assert points == sorted(set(points)) and points[-1] < len(events), points  # 20 different points
        again = merge(killed_env)
        assert again.returncode == 0, again.stderr
        assert killed.emergency_rows() == expected
        assert merge(killed_env).returncode == 0 and killed.emergency_rows() == expected  # and once more
    finally:
        drop_clean()
        drop_killed()

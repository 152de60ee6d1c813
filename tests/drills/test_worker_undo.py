"""A real `lifeline worker` undoes a lab fault after the drill's length, even when the worker that
was running during the drill is killed (SIGKILL) and another one starts later: the undo is a row,
not a worker's memory. The drill-safe target is listed in the data directory's drill_targets.json."""
import json
import signal
import sqlite3
import time

from tests.drills.test_faults import accepts, lab, until  # noqa: F401 (fixture)
from tests.incidents.test_worker_processes import environment, run, start_worker, wait_for

SETUP = """
from datetime import datetime, UTC
from lifeline.core import clock
from lifeline.drills import services
from lifeline.plans import services as plans
plans.load_files([plans.BUNDLED_DIR / "001_internet_hospital.yaml"])
drill = services.plan_drill(plan_id="internet_hospital", scenario_id="network_outage", planned_at=clock.now(),
                            length_minutes=30, fault_target="lab-web")
services.start(drill)
"""
UNDONE = "select count(*) from drills_faultinjection where undone_at is not null"


def test_a_killed_worker_leaves_the_undo_to_the_next_one(tmp_path, lab):
    port, start, stop = lab
    (tmp_path / "drill_targets.json").write_text(json.dumps({"lab-web": {"drill_safe": True, "start": start,
                                                                         "stop": stop}}))
    env = environment(tmp_path)
    run(env, "migrate", "-v0")
    run(env, "shell", "-c", SETUP)
    assert until(lambda: not accepts(port))
    db = sqlite3.connect(tmp_path / "lifeline.sqlite3", timeout=20)

    during = start_worker(environment(tmp_path, offset=10 * 60))  # ten minutes into the drill
    try:
        # Wall-clock time for the other process's ticks (every 0.05 s); its clock is the offset's.
        time.sleep(3)
        assert db.execute(UNDONE).fetchone()[0] == 0 and not accepts(port)
    finally:
        during.send_signal(signal.SIGKILL)
        during.wait(timeout=10)

    after = start_worker(environment(tmp_path, offset=31 * 60))  # a new worker, past the drill's end
    try:
        wait_for(lambda: db.execute(UNDONE).fetchone()[0] == 1)
        assert until(lambda: accepts(port))
    finally:
        after.send_signal(signal.SIGTERM)
        after.wait(timeout=20)

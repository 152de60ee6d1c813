"""The background worker: runs registered jobs on time and stops cleanly on SIGTERM."""
import os
import signal
import subprocess
import sys
import time

from lifeline.core import worker as worker_module
from lifeline.core.worker import Worker


def test_slow_job_does_not_push_later_runs_back(monkeypatch):
    calls = []
    monkeypatch.setattr(worker_module, "_jobs", {})
    fake_time = [1000.0]
    monkeypatch.setattr(worker_module.time, "monotonic", lambda: fake_time[0])

    @worker_module.job(every=5)
    def probe(now):
        calls.append(fake_time[0])

    monkeypatch.setattr(worker_module, "discover", lambda: list(worker_module._jobs.values()))
    w = Worker()
    w.run_due()  # runs at 1000, next planned for 1005
    fake_time[0] = 1006.0  # the first run was slow; we are already past 1005
    w.run_due()
    fake_time[0] = 1010.5  # planned 1010 stays on the 5 s grid
    w.run_due()
    assert calls == [1000.0, 1006.0, 1010.5]
    assert worker_module._jobs["tests.core.test_worker.probe"].next_run == 1015.0


def test_failing_job_does_not_stop_the_others(monkeypatch):
    monkeypatch.setattr(worker_module, "_jobs", {})
    ran = []

    @worker_module.job(every=1)
    def broken(now):
        raise RuntimeError("boom")

    @worker_module.job(every=1)
    def healthy(now):
        ran.append(now)

    monkeypatch.setattr(worker_module, "discover", lambda: list(worker_module._jobs.values()))
    Worker().run_due()
    assert len(ran) == 1


def test_a_job_meeting_database_is_locked_waits_and_is_retried(monkeypatch):
    """SQLite under load: "database is locked" is retried after a wait, not logged as a failed job."""
    from django.db import OperationalError

    monkeypatch.setattr(worker_module, "_jobs", {})
    monkeypatch.setattr(worker_module, "BUSY_BACKOFF", 0.01)
    monkeypatch.setattr(worker_module, "close_old_connections", lambda: None)
    logged = []
    monkeypatch.setattr(worker_module.log, "warning", lambda text, *args: logged.append(("warning", text % args)))
    monkeypatch.setattr(worker_module.log, "exception", lambda text, *args: logged.append(("failed", text % args)))
    tries = []

    @worker_module.job(every=1)
    def busy(now):
        tries.append(now)
        if len(tries) < 3:
            raise OperationalError("database is locked")

    monkeypatch.setattr(worker_module, "discover", lambda: list(worker_module._jobs.values()))
    Worker().run_due()
    assert len(tries) == 3
    assert [kind for kind, _text in logged] == ["warning", "warning"]
    assert logged[-1][1].endswith("database is locked, retry 2 of 3")


def test_other_database_errors_are_not_retried(monkeypatch):
    from django.db import OperationalError

    monkeypatch.setattr(worker_module, "_jobs", {})
    tries = []

    @worker_module.job(every=1)
    def broken(now):
        tries.append(now)
        raise OperationalError("no such table: x")

    monkeypatch.setattr(worker_module, "discover", lambda: list(worker_module._jobs.values()))
    Worker().run_due()
    assert len(tries) == 1


def test_worker_process_beats_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "LIFELINE_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("LIFELINE_DATABASE_URL", None)  # its own SQLite file
    lifeline = [sys.executable, "-m", "lifeline.cli"]
    subprocess.run([*lifeline, "migrate", "-v0"], env=env, check=True)
    proc = subprocess.Popen([*lifeline, "worker", "--tick", "0.1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # Wait until the worker has written its heartbeat (an outside process: poll its database).
        import sqlite3

        deadline = time.monotonic() + 30
        beats = 0
        while time.monotonic() < deadline and not beats:
            time.sleep(0.2)
            with sqlite3.connect(tmp_path / "lifeline.sqlite3") as db:
                beats = db.execute("select count(*) from core_workerbeat").fetchone()[0]
        assert beats == 1
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "started" in output and "stopped" in output

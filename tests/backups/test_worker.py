"""Restore tests in the worker: a due test is claimed once (its next time moved on in the same
transaction), run against a SQLite scratch file, and the button makes a manual-only test due."""
import sys
from datetime import timedelta

import pytest
from django.test import Client

from lifeline.accounts.roles import Role
from lifeline.backups import evidence, restore, services
from lifeline.backups.models import BackupCopy, RestoreRun, RestoreTest, SanityQuery
from tests.backups.conftest import hours_ago, write_copy

pytestmark = pytest.mark.django_db
# Stands in for a restore tool: makes the scratch SQLite file hold the rows the checks count.
FAKE_RESTORE = ("import sqlite3, sys; db = sqlite3.connect(sys.argv[2]); db.execute('CREATE TABLE visits (n)'); "
                "db.executemany('INSERT INTO visits VALUES (?)', [(i,) for i in range(42)]); db.commit()")


@pytest.fixture
def sqlite_test(his_job, tmp_path, clock):
    write_copy(tmp_path, "his.dump", 1000, hours_ago(clock, 1))
    evidence.check_all()
    scratch = tmp_path / "scratch" / "restored.sqlite3"
    scratch.parent.mkdir()
    test = RestoreTest.objects.create(name="每周恢复验证", destination=his_job.destinations.get(),
                                      command=[sys.executable, "-c", FAKE_RESTORE, "{backup}", str(scratch)],
                                      target_url=f"sqlite:///{scratch}", timeout_seconds=60, every_hours=168)
    SanityQuery.objects.create(test=test, label="就诊行数", sql="SELECT count(*) FROM visits", minimum=40, maximum=50)
    return test


def test_a_due_test_is_claimed_once_and_run(sqlite_test, clock):
    run = services.claim_due_test(clock.now())
    assert services.claim_due_test(clock.now()) is None  # its next time moved on a week
    sqlite_test.refresh_from_db()
    assert sqlite_test.next_due_at == clock.now() + timedelta(days=7)
    run = restore.execute(run)
    assert run.status == RestoreRun.Status.PASSED, run.reason
    assert run.checks == [{"label": "就诊行数", "ok": True, "value": "42"}] and run.trigger == "worker"
    assert BackupCopy.objects.get().proof == BackupCopy.Proof.PROVEN
    clock.advance(days=7)
    assert services.claim_due_test(clock.now()) is not None


def test_the_button_makes_a_manual_test_due_for_the_worker(sqlite_test, clock, make_user):
    RestoreTest.objects.filter(pk=sqlite_test.pk).update(every_hours=0)
    assert services.claim_due_test(clock.now()) is None  # manual only, not queued
    client = Client()
    client.force_login(make_user("it", Role.DUTY))
    answer = client.post(f"/backups/restore-tests/{sqlite_test.pk}/run/")
    assert answer.status_code == 302
    run = services.claim_due_test(clock.now())
    assert run is not None and restore.execute(run).status == RestoreRun.Status.PASSED
    sqlite_test.refresh_from_db()
    assert sqlite_test.next_due_at is None  # ran once, not rescheduled


def test_a_run_left_by_a_stopped_worker_is_marked_failed(sqlite_test, clock):
    run = services.claim_due_test(clock.now())  # the worker claims it, then is killed
    clock.advance(seconds=sqlite_test.timeout_seconds + 60)
    assert services.abandon_stale_runs(clock.now()) == 0  # within the margin: it may still finish
    clock.advance(minutes=10)
    assert services.abandon_stale_runs(clock.now()) == 1
    run.refresh_from_db()
    assert run.status == RestoreRun.Status.FAILED and "停止" in run.reason

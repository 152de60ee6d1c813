"""The done-when test: pg_dump of the demo HIS, restored by a restore test into a new PostgreSQL
database, sanity queries pass and the copy is proven; a corrupted dump fails with the reason
shown and the copy is marked failed. Also: a sanity query with a syntax error, a command that
hangs (killed with its whole process group at the timeout), and targets that are production
databases (refused before anything runs)."""
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from lifeline.accounts.roles import Role
from lifeline.backups import evidence, restore, services
from lifeline.backups.models import BackupCopy, RestoreRun, RestoreTest, SanityQuery
from lifeline.core.errors import Refused
from lifeline.his import demo_his
from tests.backups import postgres

pytestmark = pytest.mark.django_db
PATIENTS = 2000
RESTORE = ["pg_restore", "--no-owner", "--exit-on-error", "-d", "{target}", "{backup}"]


@pytest.fixture(scope="module")
def his_dump(tmp_path_factory):
    """The demo HIS on PostgreSQL, dumped with pg_dump -Fc into a backup directory."""
    postgres.reachable()
    name = postgres.new_name("his")
    url = postgres.create(name)
    folder = tmp_path_factory.mktemp("his-backups")
    try:
        demo_his.build(url, patients=PATIENTS, seed=7,
                       now=timezone.localtime().replace(tzinfo=None, microsecond=0))
        subprocess.run(["pg_dump", "-Fc", "-h", "127.0.0.1", "-U", "postgres", "-f", str(folder / "his-1.dump"), name],
                       check=True, capture_output=True)
        yield folder
    finally:
        postgres.drop(name)


@pytest.fixture
def scratch():
    postgres.reachable()
    name = postgres.new_name("scratch")
    yield postgres.SERVER.format(name)
    postgres.drop(name)


@pytest.fixture
def restore_test(his_job, his_dump, scratch, clock):
    his_job.destinations.update(location=str(his_dump))
    evidence.check_job(his_job)
    test = RestoreTest.objects.create(name="HIS 全量备份恢复", destination=his_job.destinations.get(),
                                      command=RESTORE, target_url=scratch, timeout_seconds=300, every_hours=168)
    SanityQuery.objects.create(test=test, label="患者主索引行数", sql='SELECT count(*) FROM "PAT_MASTER_INDEX"',
                               minimum=PATIENTS * 0.95, maximum=PATIENTS * 1.05)
    SanityQuery.objects.create(test=test, label="最新挂号", sql='SELECT max("REGIST_DATE") FROM "OUTP_REGISTER"',
                               expect=SanityQuery.Expect.RECENT, max_age_hours=48)
    return test


def test_a_pg_dump_restores_into_a_new_database_and_the_copy_is_proven(restore_test, make_user):
    run = restore.run_test(restore_test, "test")
    assert run.status == RestoreRun.Status.PASSED, (run.reason, run.output)
    assert [c["ok"] for c in run.checks] == [True, True]
    assert run.checks[0]["value"] == str(PATIENTS)
    assert run.seconds > 0
    assert run.copy.name == "his-1.dump"
    assert BackupCopy.objects.get(pk=run.copy_id).proof == BackupCopy.Proof.PROVEN

    client = Client()
    client.force_login(make_user("auditor", Role.AUDITOR))
    page = client.get(f"/backups/restore-tests/{restore_test.pk}/").content.decode()
    assert '<svg class="chart"' in page and "患者主索引行数" in page


def test_a_corrupted_dump_fails_with_the_reason_shown(restore_test, his_dump, clock, make_user):
    whole = (his_dump / "his-1.dump").read_bytes()
    corrupt = his_dump / "his-2.dump"
    corrupt.write_bytes(whole[: len(whole) // 2])  # a copy cut off halfway, as a full disk leaves it
    evidence.check_job(restore_test.destination.job)
    try:
        run = restore.run_test(restore_test, "test")
    finally:
        corrupt.unlink()
    assert run.status == RestoreRun.Status.FAILED
    assert run.copy.name == "his-2.dump"
    assert "退出状态 1" in run.reason
    assert "pg_restore" in run.output
    assert BackupCopy.objects.get(pk=run.copy_id).proof == BackupCopy.Proof.FAILED

    client = Client()
    client.force_login(make_user("it", Role.DUTY))
    page = client.get(f"/backups/restore-tests/{restore_test.pk}/").content.decode()
    assert run.reason in page


def test_a_sanity_query_with_a_syntax_error_fails_with_the_database_s_reason(restore_test):
    SanityQuery.objects.create(test=restore_test, label="写错的查询", sql='SELECT count(* FROM "PAT_MASTER_INDEX"',
                               minimum=1)
    run = restore.run_test(restore_test, "test")
    assert run.status == RestoreRun.Status.FAILED
    assert "写错的查询" in run.reason and "syntax error" in run.reason
    assert [c["ok"] for c in run.checks] == [True, True, False]


def test_a_command_that_hangs_is_killed_with_its_children_at_the_timeout(restore_test, tmp_path):
    pid_file = tmp_path / "child.pid"
    hang = ("import subprocess, sys, time; child = subprocess.Popen(['sleep', '300']); "
            "open(sys.argv[2], 'w').write(str(child.pid)); time.sleep(300)")
    restore_test.command = [sys.executable, "-c", hang, "{backup}", str(pid_file)]
    restore_test.timeout_seconds = 2
    restore_test.save()
    began = time.monotonic()
    run = restore.run_test(restore_test, "test")
    assert time.monotonic() - began < 30
    assert run.status == RestoreRun.Status.FAILED
    assert "2 秒内未完成" in run.reason
    child = int(pid_file.read_text())
    assert not _alive(child), "the command's child outlived the timeout"


def _alive(pid: int) -> bool:
    """Whether the process still runs (a zombie awaiting its reaper counts as gone)."""
    for _attempt in range(50):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split()[2] == "Z":
                    return False
        except FileNotFoundError:
            return False
        time.sleep(0.1)  # the kernel delivers SIGKILL asynchronously: give it a moment
    return True


@pytest.mark.parametrize("database, target", [
    ({"ENGINE": "django.db.backends.postgresql", "HOST": "db.hospital.local", "PORT": "", "NAME": "lifeline"},
     "postgres://backup@DB.hospital.local:5432/lifeline"),  # the default port, the host in capitals
    ({"ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1", "PORT": "5432", "NAME": "lifeline"},
     "postgresql+psycopg://backup@localhost/lifeline"),
    ({"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/lifeline/var/lifeline.sqlite3"},
     "sqlite:////srv/lifeline/var/../var/lifeline.sqlite3"),
])
def test_the_lifeline_database_is_refused_as_a_target_before_anything_runs(restore_test, monkeypatch, database,
                                                                          target):
    # A copy of the settings: the test's own connection keeps its dict.
    monkeypatch.setattr(settings, "DATABASES", {"default": database})
    restore_test.target_url = target
    with pytest.raises(Refused) as refused:
        restore.run_test(restore_test, "test")
    assert refused.value.field == "target_url" and "Lifeline" in refused.value.message
    assert not RestoreRun.objects.exists()


def test_the_his_of_the_snapshot_mapping_is_refused_as_a_target(restore_test, tmp_path, settings):
    mapping = tmp_path / "his.yaml"
    mapping.write_text(demo_his.mapping_text("postgresql+psycopg://lifeline@his.example:5432/his"), encoding="utf-8")
    settings.SNAPSHOT_MAPPING = str(mapping)
    for target in ("postgres://backup@HIS.example/his", "postgresql+psycopg://x@his.example:5432/his"):
        with pytest.raises(Refused) as refused:
            restore.check_target(target)
        assert refused.value.field == "target_url" and "HIS" in refused.value.message
    restore.check_target("postgresql://backup@his.example:5432/his_scratch")  # another database: fine
    restore_test.target_url = "postgres://backup@his.example/his"
    # saved before the mapping named that HIS: the worker refuses it and records why, once
    RestoreTest.objects.filter(pk=restore_test.pk).update(target_url=restore_test.target_url, next_due_at=None)
    assert services.claim_due_test(timezone.now()) is None
    [run] = RestoreRun.objects.all()
    assert run.status == RestoreRun.Status.REFUSED and "HIS" in run.reason
    assert services.claim_due_test(timezone.now()) is None and RestoreRun.objects.count() == 1


def test_a_mapping_that_cannot_be_read_refuses_every_target(tmp_path, settings):
    """Fail closed: with the HIS unknown, no scratch target can be shown to differ from it."""
    mapping = tmp_path / "his.yaml"
    mapping.write_text("connection: [not a mapping\n", encoding="utf-8")
    settings.SNAPSHOT_MAPPING = str(mapping)
    with pytest.raises(Refused) as refused:
        restore.check_target("postgresql://backup@scratch.example:5432/his_scratch")
    assert refused.value.field == "target_url" and "映射" in refused.value.message


def test_the_form_refuses_a_production_target_naming_the_field(restore_test, make_user, monkeypatch):
    client = Client()
    client.force_login(make_user("it", Role.DUTY))
    monkeypatch.setattr(settings, "DATABASES", {"default": {"ENGINE": "django.db.backends.postgresql",
                                                            "HOST": "127.0.0.1", "PORT": "", "NAME": "lifeline"}})
    answer = client.post(f"/backups/edit/restore_test/{restore_test.pk}/", {
        "name": "x", "destination": restore_test.destination_id, "command": '["pg_restore", "{backup}"]',
        "target_url": "postgresql://x@localhost:5432/lifeline", "timeout_seconds": 60, "every_hours": 0,
        "enabled": "on"})
    assert answer.status_code == 200
    assert "target_url" in answer.context["form"].errors
    restore_test.refresh_from_db()
    assert restore_test.name == "HIS 全量备份恢复"



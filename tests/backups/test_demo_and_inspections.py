"""The demo hospital's backups (one missed job on the catalogue, the restore test's history, seed
003's DR pairs with their procedures) and backup jobs read as automatic inspection items."""
import pytest

from lifeline.backups import demo, evidence, inspection_items
from lifeline.backups.models import BackupJob, DrComponent, RestoreTest, State
from lifeline.inspections import providers
from lifeline.plans import services as plans
from tests.backups.conftest import hours_ago, write_copy

pytestmark = pytest.mark.django_db


def test_the_demo_has_one_missed_job_a_restore_history_and_seed_003s_pairs(tmp_path, clock):
    plans.load_bundled()
    loaded = demo.load_demo(tmp_path)
    assert loaded == demo.load_demo(tmp_path)  # loading twice changes no counts
    states = dict(BackupJob.objects.filter(destinations__scan=True).values_list("name", "state"))
    assert states == {"每日数据库备份": State.OK, "影像库全量备份": State.MISSED, "全量备份": State.OK,
                      "增量备份": State.OK}
    assert RestoreTest.objects.get().runs.count() == len(demo.RESTORE_MINUTES)
    cluster = DrComponent.objects.get(name="数据库服务器集群")
    assert (cluster.procedure_plan_id, cluster.failover_scenario_id) == ("general_hospital_his", "db_cluster_one_node")


def test_a_backup_job_is_an_automatic_inspection_item(his_job, tmp_path, clock):
    assert (str(his_job.pk), "HIS · 全量备份") in providers.known()["backup"].choices()
    write_copy(tmp_path, "his.dump", 1000, hours_ago(clock, 2))
    evidence.check_all()
    reading = providers.read("backup", str(his_job.pk))
    assert reading.passed and reading.text.startswith("按时")
    clock.advance(hours=30)
    evidence.check_all()
    reading = providers.read("backup", str(his_job.pk))
    assert not reading.passed and reading.text.startswith("未按时")
    assert inspection_items.read_job("999999") is None

"""The worker's snapshot schedule (incremental every N minutes, full nightly) and freshness,
decided from the build records with the injected clock; the stale-snapshot alert."""
import datetime
import zoneinfo

import pytest

from lifeline.detection.models import Alert
from lifeline.his import demo_his
from lifeline.snapshots import services, tasks
from lifeline.snapshots.models import SnapshotBuild
from tests.his.conftest import build_demo

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# 10:00 in the hospital, 02:00 UTC.
MORNING = datetime.datetime(2025, 3, 3, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def schedule(settings, clock, db):
    settings.SNAPSHOT_MAPPING = "/etc/lifeline/his.yaml"
    settings.SNAPSHOT_INCREMENTAL_MINUTES = 15
    settings.SNAPSHOT_FULL_AT = "02:00"
    settings.SNAPSHOT_STALE_MINUTES = 60
    settings.TIME_ZONE = "Asia/Shanghai"
    clock.freeze(MORNING)
    return clock


def attempt(kind, at, status="published") -> SnapshotBuild:
    return SnapshotBuild.objects.create(kind=kind, status=status, trigger="worker", started_at=at,
                                        finished_at=at + datetime.timedelta(seconds=20), package_id=f"p-{at:%d%H%M}",
                                        mapping_path="/etc/lifeline/his.yaml")


def test_no_schedule_without_a_mapping(schedule, settings):
    settings.SNAPSHOT_MAPPING = None
    assert services.due_build(schedule.now()) is None
    assert services.freshness(schedule.now()).stale is False


def test_first_a_full_package_then_an_incremental_every_15_minutes(schedule):
    assert services.due_build(schedule.now()) == "full"
    attempt("full", schedule.now())
    assert services.due_build(schedule.advance(minutes=14)) is None
    assert services.due_build(schedule.advance(minutes=1)) == "incremental"
    attempt("incremental", schedule.now())
    assert services.due_build(schedule.advance(minutes=10)) is None
    assert services.due_build(schedule.advance(minutes=5)) == "incremental"


def test_a_full_package_every_night_at_the_set_local_time(schedule, settings):
    attempt("full", schedule.now())
    schedule.freeze(datetime.datetime(2025, 3, 4, 1, 50, tzinfo=SHANGHAI))
    assert services.due_build(schedule.now()) == "incremental"
    attempt("incremental", schedule.now())
    assert services.due_build(schedule.advance(minutes=10)) is None  # 02:00, but an incremental ran at 01:50
    assert services.due_build(schedule.advance(minutes=5)) == "full"
    attempt("full", schedule.now())
    assert services.due_build(schedule.advance(minutes=15)) == "incremental"
    settings.SNAPSHOT_FULL_AT = "03:30"
    assert services.due_build(schedule.advance(hours=1, minutes=15)) == "full"  # 03:30


def test_a_wrong_nightly_time_is_named(schedule, settings):
    attempt("full", schedule.now())
    settings.SNAPSHOT_FULL_AT = "25:00"
    with pytest.raises(ValueError, match="LIFELINE_SNAPSHOT_FULL_AT: '25:00' is not a time of day"):
        services.due_build(schedule.advance(minutes=15))


def test_a_failed_build_is_retried_after_the_interval_not_every_tick(schedule):
    attempt("full", schedule.now(), status="failed")
    assert services.due_build(schedule.advance(minutes=1)) is None
    assert services.due_build(schedule.advance(minutes=14)) == "full"  # still no package published
    attempt("full", schedule.now())
    attempt("incremental", schedule.advance(minutes=15), status="failed")
    assert services.due_build(schedule.advance(minutes=15)) == "incremental"


def test_a_failed_nightly_full_is_retried_as_a_full_after_the_interval(schedule):
    attempt("full", schedule.now())
    schedule.freeze(datetime.datetime(2025, 3, 4, 2, 0, tzinfo=SHANGHAI))
    attempt("full", schedule.now(), status="failed")  # the HIS was down at 02:00
    assert services.due_build(schedule.advance(minutes=14)) is None
    assert services.due_build(schedule.advance(minutes=1)) == "full"
    attempt("full", schedule.now())
    assert services.due_build(schedule.advance(minutes=15)) == "incremental"


def test_freshness_is_the_age_of_the_newest_published_package(schedule):
    assert services.freshness(schedule.now()) == services.Freshness(
        True, None, None, None, datetime.timedelta(minutes=60), stale=True)
    built = attempt("full", schedule.now())
    attempt("incremental", schedule.advance(minutes=15), status="failed")
    state = services.freshness(schedule.advance(minutes=45))
    assert (state.package_id, state.age, state.stale) == (built.package_id, datetime.timedelta(minutes=60), False)
    assert services.freshness(schedule.advance(minutes=1)).stale


def test_a_stale_snapshot_raises_an_alert_that_resolves_when_a_fresh_package_is_published(schedule):
    attempt("full", schedule.now())
    services.report_freshness(schedule.advance(minutes=30))
    assert not Alert.objects.exists()
    services.report_freshness(schedule.advance(minutes=31))
    alert = Alert.objects.get(source="continuity:freshness", fingerprint="snapshot-stale")
    assert alert.status == "firing"
    assert alert.summary == "HIS 基础数据的最新快照包已有 61 分钟（阈值 60 分钟），应急工作站使用的是旧数据"
    services.report_freshness(schedule.advance(minutes=1))
    assert Alert.objects.get(pk=alert.pk).status == "firing"
    fresh = attempt("incremental", schedule.now())
    services.report_freshness(schedule.advance(minutes=1))
    alert.refresh_from_db()
    assert alert.status == "resolved" and fresh.package_id in alert.summary


@pytest.fixture
def his(tmp_path_factory):
    return build_demo(f"sqlite:///{tmp_path_factory.mktemp('his')}/his.db", tmp_path_factory, 500)


def test_the_worker_builds_what_is_due_from_the_demo_his(schedule, settings, his, snapshot_dir):
    settings.SNAPSHOT_MAPPING = str(his.mapping_path)
    full = services.run_due_build(schedule.now())
    assert (full.kind, full.status, full.trigger) == ("full", "published", "worker")
    assert services.run_due_build(schedule.advance(minutes=5)) is None
    changed = demo_his.churn(his.url, percent=5, seed=2)
    incremental = services.run_due_build(schedule.advance(minutes=10))
    assert (incremental.kind, incremental.status, incremental.parent) == ("incremental", "published", full)
    assert incremental.row_counts["patient"] == len(changed["patient"])


def test_a_failing_scheduled_build_is_recorded_and_retried_later(schedule, settings, tmp_path, snapshot_dir):
    settings.SNAPSHOT_MAPPING = str(tmp_path / "missing.yaml")
    failed = services.run_due_build(schedule.now())
    assert failed.status == "failed" and "missing.yaml" in failed.error
    assert services.run_due_build(schedule.advance(minutes=5)) is None
    assert services.due_build(schedule.advance(minutes=10)) == "full"


@pytest.mark.django_db(transaction=True)
def test_the_jobs_build_on_a_thread_and_report_freshness(settings, his, snapshot_dir, clock):
    settings.SNAPSHOT_MAPPING = None
    assert tasks.build_due_snapshot(clock.now()) is None
    tasks.report_snapshot_freshness(clock.now())
    assert not Alert.objects.exists()
    settings.SNAPSHOT_MAPPING = str(his.mapping_path)
    tasks.report_snapshot_freshness(clock.now())
    assert Alert.objects.get().summary == "尚未发布 HIS 基础数据的快照包，应急工作站没有可用数据"
    thread = tasks.build_due_snapshot(clock.now())
    thread.join(timeout=120)
    record = SnapshotBuild.objects.get()
    assert (record.kind, record.status, record.trigger) == ("full", "published", "worker")
    assert tasks.build_due_snapshot(clock.now()) is None
    tasks.report_snapshot_freshness(clock.now())
    assert Alert.objects.get().status == "resolved"

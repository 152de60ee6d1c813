"""The demo hospital's backups and DR, from the seeds' prevention chapters.

- Seed 004: the HIS database backed up daily to the server's local disk (a directory of demo
  dump files under <data dir>/demo-backups, scanned), monthly to the remote backup computer and
  twice a month to a removable disk. The last two nights' files are missing from the PACS
  directory, so the catalogue shows one missed backup.
- Seed 001: the internet hospital's full backup every night at 01:00 and incremental every hour,
  to local disk, cloud storage (off-site) and offline tape (the hourly files meet its 60 min RPO).
- A restore test of the HIS dump into a scratch PostgreSQL database, with a month of weekly runs
  (the RTO chart) made by the demo, not by restores.
- Seed 003's DR: data centres A and B and a remote DR centre, the DB cluster DBServerA/B, the
  disk array, the application servers AppServer1/2 (.101/.102, standby AppServer3 .103) and the
  outpatient emergency server, each with its plan 003 procedure.
"""
import os
from datetime import timedelta
from pathlib import Path

from lifeline.backups import evidence
from lifeline.backups.models import (
    BackupJob,
    Destination,
    DrComponent,
    RestoreRun,
    RestoreTest,
    SanityQuery,
    Site,
    System,
)
from lifeline.core import clock

PLAN_003 = "general_hospital_his"
SYSTEMS = [("HIS", 24 * 60, 240), ("EMR", 60, 240), ("PACS", 24 * 60, 480), ("LIS", 60, 240), ("互联网医院", 60, 30)]
MB = 1_000_000
RESTORE_COMMAND = ["pg_restore", "--no-owner", "--exit-on-error", "-d", "{target}", "{backup}"]
RESTORE_MINUTES = [38.5, 36.0, 41.2, 35.4]  # four weekly runs; the third failed on a short dump


def _write_copies(folder: Path, stem: str, newest_age: timedelta, every: timedelta, count: int, size: int):
    """Demo dump files, the newest `newest_age` old, one per `every` before it."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        at = clock.now() - newest_age - every * n
        path = folder / f"{stem}-{at.astimezone():%Y%m%d-%H%M}.dump"
        path.write_bytes(b"\0" * (size + n * 1000))
        os.utime(path, (at.timestamp(), at.timestamp()))


def _job(system, name, kind, every_hours, schedule, tool, destinations, measure=("", "")):
    job, _created = BackupJob.objects.update_or_create(system=system, name=name, defaults={
        "kind": kind, "every_hours": every_hours, "schedule_text": schedule, "tool": tool,
        "plan_id": measure[0], "measure_id": measure[1]})
    job.destinations.all().delete()
    for kind_, location, offsite, scan in destinations:
        Destination.objects.create(job=job, kind=kind_, location=str(location), offsite=offsite, scan=scan,
                                   pattern="*.dump")
    return job


def _catalogue(data_dir: Path) -> dict[str, System]:
    systems = {}
    for name, rpo, rto in SYSTEMS:
        systems[name], _created = System.objects.update_or_create(
            name=name, defaults={"rpo_minutes": rpo, "rto_minutes": rto})
    root = data_dir / "demo-backups"
    _write_copies(root / "his", "his", timedelta(hours=3), timedelta(days=1), 7, 120 * MB // 100)
    _write_copies(root / "pacs", "pacs", timedelta(days=3), timedelta(days=1), 5, 300 * MB // 100)
    _write_copies(root / "ih", "ih-full", timedelta(hours=5), timedelta(days=1), 5, 80 * MB // 100)
    _write_copies(root / "ih-incr", "ih-incr", timedelta(minutes=20), timedelta(hours=1), 24, 2 * MB // 100)
    L, R, S3, M, T = (Destination.Kind.LOCAL, Destination.Kind.REMOTE, Destination.Kind.OBJECT,
                      Destination.Kind.REMOVABLE, Destination.Kind.TAPE)
    _job(systems["HIS"], "每日数据库备份", BackupJob.Kind.FULL, 24, "每天（后台自动）", "pg_dump -Fc",
         [(L, root / "his", False, True)], ("his_failure", "db_daily_backup"))
    _job(systems["HIS"], "每月复制到远程备份机", BackupJob.Kind.FULL, 720, "每月", "robocopy",
         [(R, r"\\192.168.0.151\his-backup", True, False)], ("his_failure", "db_remote_copy"))
    _job(systems["HIS"], "月中月底复制到移动硬盘", BackupJob.Kind.FULL, 360, "每月月中、月底", "手工复制",
         [(M, "移动硬盘 HIS-BAK-01（保险柜）", True, False)], ("his_failure", "db_removable_copy"))
    _job(systems["PACS"], "影像库全量备份", BackupJob.Kind.FULL, 24, "每天 23:00", "rsync",
         [(L, root / "pacs", False, True), (T, "磁带库 LTO-8 槽位 3", False, False)])
    _job(systems["互联网医院"], "全量备份", BackupJob.Kind.FULL, 24, "每天凌晨1点", "xtrabackup",
         [(L, root / "ih", False, True), (S3, "s3://ih-backup/full", True, False), (T, "离线磁带", True, False)],
         ("internet_hospital", "full_backup"))
    _job(systems["互联网医院"], "增量备份", BackupJob.Kind.INCREMENTAL, 1, "每小时", "xtrabackup --incremental",
         [(L, root / "ih-incr", False, True), (S3, "s3://ih-backup/incr", True, False)],
         ("internet_hospital", "incremental_backup"))
    evidence.check_all()
    return systems


def _restore_test(data_dir: Path) -> RestoreTest:
    destination = Destination.objects.get(job__name="每日数据库备份")
    test, _created = RestoreTest.objects.update_or_create(name="HIS 每日备份恢复验证", defaults={
        "destination": destination, "command": RESTORE_COMMAND, "every_hours": 0,
        "target_url": "postgresql://postgres@127.0.0.1:5432/lifeline_restore_scratch", "timeout_seconds": 4 * 3600})
    test.queries.all().delete()
    SanityQuery.objects.create(test=test, label="患者主索引行数", sql='SELECT count(*) FROM "PAT_MASTER_INDEX"',
                               minimum=1000, maximum=10_000_000)
    SanityQuery.objects.create(test=test, label="最新挂号时间", sql='SELECT max("REGIST_DATE") FROM "OUTP_REGISTER"',
                               expect=SanityQuery.Expect.RECENT, max_age_hours=48)
    test.runs.all().delete()
    for week, minutes in enumerate(RESTORE_MINUTES):
        failed = week == 2
        RestoreRun.objects.create(
            test=test, trigger="demo", backup_path=str(data_dir / "demo-backups" / "his" / f"week-{week}.dump"),
            started_at=clock.now() - timedelta(days=7 * (len(RESTORE_MINUTES) - week)), seconds=minutes * 60,
            status=RestoreRun.Status.FAILED if failed else RestoreRun.Status.PASSED,
            reason="命令以退出状态 1 结束" if failed else "",
            output="pg_restore: error: could not read from input file: end of file" if failed else "",
            checks=[] if failed else [{"label": "患者主索引行数", "ok": True, "value": "5000"},
                                      {"label": "最新挂号时间", "ok": True, "value": "昨天 15:52（17.1 小时前）"}])
    return test


def _topology() -> int:
    a, _c = Site.objects.update_or_create(name="A 机房（主数据中心）", defaults={"kind": Site.Kind.PRIMARY,
                                                                          "address": "门诊楼 5 层"})
    b, _c = Site.objects.update_or_create(name="B 机房（同城）", defaults={"kind": Site.Kind.SAME_CITY,
                                                                       "address": "住院楼负一层，距 A 机房 2 公里光纤"})
    remote, _c = Site.objects.update_or_create(name="异地灾备中心", defaults={"kind": Site.Kind.REMOTE,
                                                                          "address": "邻市政务云，200 公里"})
    pairs = [
        ("数据库服务器集群", DrComponent.Kind.DATABASE, a, "DBServerA（IBM 3850，Oracle RAC）", a,
         "DBServerB（IBM 3850）", "db_cluster_one_node", "", "db_cluster"),
        ("磁盘阵列", DrComponent.Kind.STORAGE, a, "磁盘阵列（冗余磁盘、控制器、光纤交换机）", a,
         "冗余控制器与光纤交换机", "disk_storage_redundancy", "", "disk_redundancy"),
        ("应用服务器", DrComponent.Kind.APP, a, "AppServer1 .101（门诊）、AppServer2 .102（住院）", b,
         "AppServer3 .103（备用）", "app_server_redundancy", "", "app_redundancy"),
        ("门诊应急服务器", DrComponent.Kind.DATABASE, a, "HIS 主库", b, "门诊应急服务器（每夜恢复前一天的备份）",
         "outpatient_emergency_server", "", "dr_backup_centre"),
        ("A/B 机房光缆", DrComponent.Kind.NETWORK, a, "A-B 主用光缆", remote, "政务外网专线（自动切换）", "", "", ""),
    ]
    for name, kind, site, primary, standby_site, standby, failover, failback, measure in pairs:
        DrComponent.objects.update_or_create(name=name, defaults={
            "kind": kind, "primary_site": site, "primary": primary, "standby_site": standby_site, "standby": standby,
            "procedure_plan_id": PLAN_003 if failover else "", "failover_scenario_id": failover,
            "failback_scenario_id": failback, "plan_id": PLAN_003 if measure else "", "measure_id": measure})
    return len(pairs)


def load_demo(data_dir: Path) -> dict:
    systems = _catalogue(data_dir)
    test = _restore_test(data_dir)
    components = _topology()
    return {"systems": len(systems), "jobs": BackupJob.objects.count(), "restore_test": test.name,
            "components": components}

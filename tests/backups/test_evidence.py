"""Evidence that a backup ran: a destination's newest file, its size against the trend, its
checksum, a heartbeat; missed or shrunken backups show on the catalogue and raise an alert."""
import hashlib

import pytest
from django.test import Client

from lifeline.accounts.roles import Role
from lifeline.backups import evidence, services
from lifeline.backups.models import BackupCopy, Destination, State
from lifeline.detection.models import Alert, Probe
from tests.backups.conftest import hours_ago, write_copy

pytestmark = pytest.mark.django_db
MB = 1_000_000


def firing_alerts():
    return list(Alert.objects.filter(source=evidence.ALARM_SOURCE, status=Alert.Status.FIRING))


def test_a_copy_older_than_the_schedule_allows_is_missed_on_the_catalogue_and_opens_an_alert(
        his_job, tmp_path, clock, make_user):
    write_copy(tmp_path, "his-1.dump", 5 * MB, hours_ago(clock, 2))
    evidence.check_all()
    his_job.refresh_from_db()
    assert his_job.state == State.OK and not firing_alerts()

    clock.advance(hours=24)  # 26 h since the copy: the schedule allows 24 h + 1 h grace
    evidence.check_all()
    his_job.refresh_from_db()
    assert his_job.state == State.MISSED
    assert "26.0 小时" in his_job.state_reason
    [alert] = firing_alerts()
    assert "HIS · 全量备份" in alert.summary and alert.labels["state"] == "missed"

    client = Client()
    client.force_login(make_user("it", Role.DUTY))
    page = client.get("/backups/").content.decode()
    assert f'id="job-{his_job.pk}" class="job alarm"' in page
    assert "未按时" in page

    write_copy(tmp_path, "his-2.dump", 5 * MB, clock.now())  # the next night's copy arrives
    evidence.check_all()
    his_job.refresh_from_db()
    assert his_job.state == State.OK
    assert not firing_alerts()
    assert Alert.objects.get(source=evidence.ALARM_SOURCE).status == Alert.Status.RESOLVED


def test_an_empty_destination_is_missed(his_job, clock):
    [job] = evidence.check_all()
    assert job.state == State.MISSED
    assert job.state_reason.endswith("中没有备份文件")


def test_a_copy_much_smaller_than_the_recent_ones_is_suspicious(his_job, tmp_path, clock):
    for day, size in enumerate([100, 104, 98, 101], start=1):
        write_copy(tmp_path, f"his-{day}.dump", size * 1000, hours_ago(clock, 100 - day * 24))
    write_copy(tmp_path, "his-5.dump", 40 * 1000, hours_ago(clock, 1))  # 60 % smaller than the median
    [job] = evidence.check_all()
    assert job.state == State.SHRUNK
    newest = BackupCopy.objects.get(name="his-5.dump")
    assert newest.shrunk and not BackupCopy.objects.get(name="his-4.dump").shrunk
    assert len(firing_alerts()) == 1


def test_a_checksum_file_is_verified(his_job, tmp_path, clock):
    content_digest = hashlib.sha256(b"x" * 1000).hexdigest()
    write_copy(tmp_path, "good.dump", 1000, hours_ago(clock, 3), checksum=content_digest)
    evidence.check_all()
    assert BackupCopy.objects.get(name="good.dump").checksum == BackupCopy.Checksum.GOOD
    write_copy(tmp_path, "bad.dump", 1000, hours_ago(clock, 1), checksum="0" * 64)
    [job] = evidence.check_all()
    assert BackupCopy.objects.get(name="bad.dump").checksum == BackupCopy.Checksum.BAD
    assert job.state == State.BAD_CHECKSUM


def test_a_heartbeat_probe_is_evidence_too(his_job, clock):
    his_job.destinations.update(scan=False)
    probe = Probe.objects.create(name="夜间备份签到", kind=Probe.Kind.HEARTBEAT, config={"period_minutes": 1500})
    his_job.heartbeat = probe
    his_job.save()
    [job] = evidence.check_all()
    assert job.state == State.MISSED  # never checked in
    Probe.objects.filter(pk=probe.pk).update(last_heartbeat_at=hours_ago(clock, 3))
    [job] = evidence.check_all()
    assert job.state == State.OK and job.last_run_at == hours_ago(clock, 3)


def test_three_two_one_and_the_achieved_rpo(his_job, tmp_path, clock):
    job = his_job
    Destination.objects.create(job=job, kind=Destination.Kind.OBJECT, location="s3://hospital-backups/his",
                               offsite=True)
    Destination.objects.create(job=job, kind=Destination.Kind.TAPE, location="磁带库 LTO-8")
    write_copy(tmp_path, "his.dump", 5 * MB, hours_ago(clock, 3))
    evidence.check_all()
    [view] = services.catalogue()
    assert (view.copies, view.media, view.offsite, view.three_two_one) == (3, 3, 1, True)
    assert view.achieved_rpo_minutes == 180 and view.rpo_met
    clock.advance(hours=23)  # 26 h old, the objective is 25 h
    [view] = services.catalogue()
    assert view.achieved_rpo_minutes == 26 * 60 and not view.rpo_met
    Destination.objects.filter(kind=Destination.Kind.OBJECT).update(offsite=False)
    [view] = services.catalogue()
    assert not view.three_two_one

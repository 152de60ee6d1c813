"""The drill pages through Django's test client: IT on duty plans a drill (targets from the plan
when left blank), starts it and records a milestone; bad input is refused under its field with
nothing written (400, never a 500); auditors read without forms; department staff get 403."""
from datetime import timedelta

import pytest

from lifeline.drills.models import Drill, Finding, MilestoneRecord

pytestmark = pytest.mark.django_db
FORM = {"scenario": "internet_hospital:network_outage", "planned_at": "2026-12-08T09:00", "length_minutes": "60",
        "participants": "技术组", "observers": "信息中心主任"}


def test_it_plans_a_drill_with_the_plans_targets(plan_001, morning, it_client):
    page = it_client.get("/drills/").content.decode()
    assert "安排演练" in page and "互联网医院" in page
    response = it_client.post("/drills/", FORM)
    drill = Drill.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/drills/{drill.pk}/"
    assert (drill.title, drill.target_emergency, drill.target_restore) == ("网络中断演练 2026-12-08", 5, 30)


@pytest.mark.parametrize("change, message", [
    ({"target_restore": "-5"}, "确保该值大于或等于0"),
    ({"scenario": "internet_hospital:no_such"}, "选择一个有效的选项"),
    ({"planned_at": "next tuesday"}, "日期/时间"),
    ({"fault_target": "production-db"}, "production-db 不是已配置的演练目标"),
])
def test_a_bad_plan_is_refused_under_its_field_and_nothing_is_written(plan_001, morning, it_client, change, message):
    response = it_client.post("/drills/", FORM | change)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Drill.objects.exists()


def test_starting_the_drill_and_recording_a_milestone(drill, morning, it_client):
    before = it_client.get(f"/drills/{drill.pk}/").content.decode()
    assert "尚未记录" in before and "未达成" not in before  # nothing is missed before the drill has run
    assert it_client.post(f"/drills/{drill.pk}/start/").status_code == 302
    drill.refresh_from_db()
    assert drill.status == Drill.Status.RUNNING and drill.incident.is_drill
    morning.advance(minutes=2)
    it_client.post(f"/drills/{drill.pk}/milestone/", {"milestone": "detect"})
    page = it_client.get(f"/drills/{drill.pk}/").content.decode()
    assert "已记录：发现故障" in page and "2.0 分钟" in page and "达标" not in page.split("发现故障")[0]
    assert MilestoneRecord.objects.get().source == "button"
    again = it_client.post(f"/drills/{drill.pk}/milestone/", {"milestone": "detect"}, follow=True)
    assert "发现故障 已记录" in again.content.decode() and MilestoneRecord.objects.count() == 1
    incident_page = it_client.get(f"/incidents/{drill.incident_id}/").content.decode()
    assert "演练" in incident_page
    twice = it_client.post(f"/drills/{drill.pk}/start/", follow=True)
    assert "演练状态为进行中" in twice.content.decode()


def test_findings_are_tracked_to_done_and_overdue_ones_show_red(drill, morning, it_client):
    bad = it_client.post(f"/drills/{drill.pk}/findings/", {"title": "备用接口的IP地址写错", "owner": "",
                                                            "deadline": "2026-12-31"})
    assert bad.status_code == 400 and "这个字段是必填项" in bad.content.decode() and not Finding.objects.exists()
    it_client.post(f"/drills/{drill.pk}/findings/", {"title": "预案中备用接口的IP地址写错", "fix": "修正预案",
                                                     "owner": "技术组组长", "deadline": "2026-12-10"})
    finding = Finding.objects.get()
    morning.advance(days=3)
    page = it_client.get("/drills/findings/").content.decode()
    assert 'class="overdue"' in page and "已逾期" in page
    it_client.post(f"/drills/findings/{finding.pk}/status/", {f"f{finding.pk}-status": "done", "back": "findings"})
    finding.refresh_from_db()
    assert finding.status == Finding.Status.DONE
    assert 'class="overdue"' not in it_client.get("/drills/findings/").content.decode()


def test_auditors_read_without_forms_and_department_staff_get_403(drill, client, people):
    client.force_login(people["auditor"])
    page = client.get(f"/drills/{drill.pk}/").content.decode()
    assert drill.title in page and "开始演练" not in page and "登记问题" not in page
    assert client.post(f"/drills/{drill.pk}/start/").status_code == 403
    assert client.post("/drills/", FORM).status_code == 403 and Drill.objects.count() == 1
    assert client.get(f"/drills/{drill.pk}/report.docx").status_code == 200
    client.force_login(people["nurse"])
    assert client.get("/drills/").status_code == 403 and client.get(f"/drills/{drill.pk}/").status_code == 403


def test_a_commander_signs_off_an_ended_drill(drill, morning, client, people):
    client.force_login(people["liqiang"])
    client.post(f"/drills/{drill.pk}/start/")
    morning.advance(minutes=40)
    client.post(f"/drills/{drill.pk}/end/")
    client.post(f"/drills/{drill.pk}/sign-off/", {"note": "同意"})
    drill.refresh_from_db()
    assert drill.status == Drill.Status.SIGNED and drill.signed_by == people["liqiang"]
    response = client.get(f"/drills/{drill.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_it_on_duty_who_ran_the_drill_does_not_sign_its_report_off(drill, morning, it_client):
    it_client.post(f"/drills/{drill.pk}/start/")
    morning.advance(minutes=40)
    it_client.post(f"/drills/{drill.pk}/end/")
    page = it_client.get(f"/drills/{drill.pk}/").content.decode()
    assert f"/drills/{drill.pk}/sign-off/" not in page and "尚未签署：演练报告由指挥人员签署" in page
    refused = it_client.post(f"/drills/{drill.pk}/sign-off/", {"note": "同意"})
    drill.refresh_from_db()
    assert refused.status_code == 403 and drill.status == Drill.Status.ENDED and drill.signed_by is None


def test_a_schedule_is_saved_and_its_next_drill_planned(plan_001, morning, it_client):
    response = it_client.post("/drills/schedules/", {"scenario": "internet_hospital:network_outage", "every": "month",
                                                     "day": "15", "month": "1", "time": "09:30", "remind_days": "3"})
    assert response.status_code == 302
    drill = Drill.objects.get()
    assert drill.planned_at - morning.now() == timedelta(days=7, minutes=30)
    bad = it_client.post("/drills/schedules/", {"scenario": "internet_hospital:network_outage", "every": "week",
                                                "day": "32", "month": "1", "time": "09:30", "remind_days": "3"})
    assert bad.status_code == 400 and Drill.objects.count() == 1

"""The demo hospital's drills, after seed 001 (monthly drills, core business back within 30
minutes; a drill of the medical-insurance interface found the standby interface's address
written wrong): a monthly schedule of the network-outage drill, the last three months' drills
with their timings and findings, and the next drill planned. Idempotent: loads once."""
from datetime import time, timedelta

from django.utils import timezone

from lifeline.core import clock
from lifeline.drills import schedules, services
from lifeline.drills.models import Drill, Every, Finding, MilestoneRecord, Schedule
from lifeline.plans.models import PlanVersion

PLAN = "internet_hospital"
PARTICIPANTS = "技术组（5人）、临床支持组、患者沟通组"
# (months back, scenario, minutes to detect / acknowledge / emergency mode / restore, findings)
HISTORY = [
    (3, "network_outage", (1, 3, 6, 28), [("备用线路切换需手工改路由，超出5分钟目标", "编写备用线路切换脚本并演练",
                                          "技术组（网络）", 20, Finding.Status.DONE)]),
    (2, "third_party_interface", (2, 4, 9, 35), [("预案中备用接口的IP地址写错", "修正预案中的备用接口地址并复核",
                                                 "技术组组长", 7, Finding.Status.DONE)]),
    (1, "network_outage", (1, 2, 4, 24), [("公众号故障通知模板未更新联系电话", "更新公众号通知模板",
                                          "患者沟通组", 10, Finding.Status.OPEN)]),
]


def load_demo() -> dict:
    if not PlanVersion.objects.filter(plan_id=PLAN, is_active=True).exists() or Schedule.objects.exists():
        return {"drills": Drill.objects.count()}
    schedule = schedules.create_schedule(plan_id=PLAN, scenario_id="network_outage", every=Every.MONTH, day=10,
                                         time=time(9, 30), participants=PARTICIPANTS)
    today = timezone.localtime(clock.now())
    for back, scenario, minutes, findings in HISTORY:
        _past_drill(today - timedelta(days=30 * back), scenario, minutes, findings)
    schedules.plan_next()
    return {"drills": Drill.objects.count(), "schedule": str(schedule)}


def _past_drill(day, scenario, minutes, findings):
    """A drill already run: its milestones as recorded then (no incident: the demo has no history of them)."""
    start = day.replace(hour=9, minute=30, second=0, microsecond=0)
    drill = services.plan_drill(plan_id=PLAN, scenario_id=scenario, planned_at=start, participants=PARTICIPANTS,
                                observers="信息中心主任", target_acknowledge=5, target_emergency=5)
    drill.status, drill.started_at, drill.ended_at = Drill.Status.ENDED, start, start + timedelta(minutes=45)
    drill.reminded = True
    drill.save()
    for milestone, after in zip(("detect", "acknowledge", "emergency", "restore"), minutes, strict=True):
        MilestoneRecord.objects.create(drill=drill, milestone=milestone, at=start + timedelta(minutes=after),
                                       source=MilestoneRecord.Source.BUTTON)
    for title, fix, owner, days, status in findings:
        finding = services.add_finding(drill, title=title, fix=fix, owner=owner,
                                       deadline=(start + timedelta(days=days)).date())
        if status == Finding.Status.DONE:
            services.set_finding_status(finding, status)

"""Durable timers fired by the worker's job: plan timers, escalation, SLA deadlines, drills."""
from datetime import timedelta

import pytest

from lifeline.core.errors import Refused
from lifeline.incidents import firing, intake, lifecycle, timers
from lifeline.incidents.models import Incident, OutboxMessage, TimelineEntry, Timer
from lifeline.people.models import DutyKind

pytestmark = pytest.mark.django_db


def fire(clock):
    """What `lifeline worker` does every second (tasks.fire_due_timers), at the clock's time."""
    firing.fire_due_timers(clock.now(), "test-worker")


@pytest.fixture
def overall(load_seed, t0):
    """Seed 004's whole-hospital fault, as one report opens it."""
    report = intake.submit_report(department="Outpatient charging", description="HIS down", contact="8021")
    return lifecycle.open_incident(plan_id=load_seed("004"), title="Whole-hospital HIS down", scope="whole",
                                   reports=[report.number], scenario_id="overall_fault")


def plan_timer(incident, key):
    return incident.timers.get(kind=Timer.Kind.PLAN, key=f"overall_fault:{key}")


def test_seed_004_standalone_at_30_min_and_manual_at_3_h(overall, clock, t0):
    assert overall.level_id == "class_1"
    assert plan_timer(overall, "outpatient_standalone").due_at == t0 + timedelta(minutes=30)
    clock.advance(minutes=29, seconds=59)
    fire(clock)
    assert Incident.objects.get(pk=overall.pk).modes == {}

    clock.advance(seconds=1)
    fire(clock)
    incident = Incident.objects.get(pk=overall.pk)
    assert incident.modes == {"Outpatient charging": "stand-alone"}
    standalone = plan_timer(incident, "outpatient_standalone")
    assert standalone.status == "fired" and standalone.fired_at == t0 + timedelta(minutes=30)
    mode = incident.timeline.get(kind=TimelineEntry.Kind.MODE)
    assert mode.text == "Outpatient charging enters the stand-alone operation mode."
    assert mode.at == t0 + timedelta(minutes=30) and mode.actor_name

    clock.advance(hours=2, minutes=30)
    fire(clock)
    incident = Incident.objects.get(pk=overall.pk)
    assert incident.modes == {"Outpatient charging": "stand-alone", "Inpatient billing": "manual",
                              "Pharmacy": "manual", "Nurse workstation": "manual", "Doctor workstation": "manual",
                              "Warehouse": "manual", "Physical examination": "manual"}
    fire(clock)  # running again repeats nothing
    assert incident.timeline.filter(kind=TimelineEntry.Kind.MODE).count() == 2


def test_resolving_before_a_timer_cancels_it(overall, clock):
    clock.advance(minutes=20)
    lifecycle.transition(overall, "acknowledged")
    lifecycle.transition(overall, "resolved", confirmed=True)
    assert plan_timer(overall, "outpatient_standalone").status == "cancelled"
    clock.advance(hours=4)
    fire(clock)
    incident = Incident.objects.get(pk=overall.pk)
    assert incident.modes == {}
    assert not incident.timers.filter(status="fired").exists()
    assert incident.timeline.filter(kind=TimelineEntry.Kind.TIMER, text__startswith="Timers cancelled").exists()


def test_a_timer_for_a_closed_incident_is_refused(overall):
    for status in ("acknowledged", "resolved", "closed"):
        lifecycle.transition(overall, status, confirmed=True)
    count = Timer.objects.count()
    with pytest.raises(Refused) as caught:
        timers.add_reminder(overall, 20, "check the backups")
    assert caught.value.field == "incident"
    assert Timer.objects.count() == count


@pytest.fixture
def roster(on_duty):
    """Seed 001 at level 二级: led by the technical group lead, whose group sits under the command HQ."""
    return {
        "primary": on_duty("tech_lead", "王组长"),
        "backup": on_duty("tech_lead", "李备班", kind=DutyKind.BACKUP),
        "group_lead": on_duty("it_director", "张主任"),
        "hq": on_duty("hq_member", "陈委员"),
    }


def paged(incident):
    """Who was paged, in order; a response deadline's message left out (whether 二级 has one is the plan's)."""
    return [(m.member.name, m.role) for m in OutboxMessage.objects.filter(incident=incident).order_by("pk")
            if not m.subject.endswith("已超过响应时限")]


def test_escalation_pages_backup_then_group_lead_then_command_centre_then_the_whole_chain_again(
        load_seed, roster, clock):
    incident = lifecycle.open_incident(plan_id=load_seed("001"), title="挂号系统故障", users_pct=30)
    # The lead's person on duty is paged; 二级's notify roles are told (the lead, paged already, once).
    assert paged(incident) == [("王组长", "tech_lead"), ("张主任", "it_director")]
    clock.advance(minutes=5)
    fire(clock)
    assert paged(incident)[2:] == [("李备班", "tech_lead")]
    clock.advance(minutes=5)
    fire(clock)
    assert paged(incident)[3:] == [("张主任", "it_director")]
    clock.advance(minutes=5)
    fire(clock)
    assert paged(incident)[4:] == [("张主任", "it_director"), ("陈委员", "hq_member")]
    assert incident.timeline.filter(kind=TimelineEntry.Kind.PAGE, text__startswith="已呼叫").count() == 5
    clock.advance(minutes=29)
    fire(clock)
    assert len(paged(incident)) == 6
    clock.advance(minutes=1)  # renotify_after (30 min) after the last hop: the whole chain again, each once
    fire(clock)
    assert paged(incident)[6:] == [("王组长", "tech_lead"), ("李备班", "tech_lead"), ("张主任", "it_director"),
                                   ("陈委员", "hq_member")]
    assert OutboxMessage.objects.last().subject == "无人确认：重新呼叫整条升级链（第 1 轮）"
    clock.advance(minutes=30)
    fire(clock)
    assert len(paged(incident)) == 14


def test_acknowledging_stops_escalation_and_renotifies_until_resolved(load_seed, roster, clock):
    incident = lifecycle.open_incident(plan_id=load_seed("001"), title="挂号系统故障", users_pct=30)
    clock.advance(minutes=3)
    lifecycle.transition(incident, "acknowledged")
    assert not incident.timers.filter(kind=Timer.Kind.ACK_ESCALATION, status="pending").exists()
    clock.advance(minutes=30)  # renotify_after: the schema's default, 30 min after acknowledging
    fire(clock)
    assert paged(incident) == [("王组长", "tech_lead"), ("张主任", "it_director"), ("王组长", "commander")]
    clock.advance(minutes=30)
    fire(clock)
    assert len(paged(incident)) == 4
    lifecycle.transition(incident, "resolved")
    clock.advance(hours=2)
    fire(clock)
    assert len(paged(incident)) == 4


def test_a_drill_runs_the_same_marked_as_a_drill(load_seed, roster, clock):
    incident = lifecycle.open_incident(plan_id=load_seed("001"), title="演练：挂号系统故障", users_pct=30,
                                       is_drill=True)
    real = lifecycle.open_incident(plan_id=load_seed("001"), title="挂号系统故障", users_pct=30)
    clock.advance(minutes=5)
    fire(clock)
    subjects = [s for s in OutboxMessage.objects.filter(incident=incident).values_list("subject", flat=True)
                if s != "【演练】已超过响应时限"]  # whether 二级 has a response deadline is the plan's
    assert subjects == ["【演练】有事件待确认", "【演练】事件已创建，级别：二级", "【演练】未确认：呼叫 备用值班人员"]
    assert not OutboxMessage.objects.filter(incident=real, subject__startswith="【演练】").exists()
    assert list(Incident.objects.real()) == [real]
    assert incident.timeline.get(kind=TimelineEntry.Kind.OPENED).data["drill"] is True


def test_a_broken_action_fails_alone_and_the_others_still_fire(overall, clock):
    broken = plan_timer(overall, "outpatient_standalone")
    Timer.objects.filter(pk=broken.pk).update(action={"kind": "escalate", "level": "class_9", "text": "up"})
    clock.advance(hours=3)
    fire(clock)
    broken.refresh_from_db()
    assert broken.status == "failed" and "class_9" in broken.error
    assert plan_timer(overall, "manual_operation").status == "fired"
    assert Incident.objects.get(pk=overall.pk).level_id == "class_1"


def test_reminder_reaches_the_commander(load_seed, roster, clock):
    incident = lifecycle.open_incident(plan_id=load_seed("001"), title="挂号系统故障", users_pct=30)
    lifecycle.transition(incident, "acknowledged")
    timers.add_reminder(incident, 20, "再次确认数据库主备状态")
    clock.advance(minutes=20)
    fire(clock)
    assert paged(incident)[-1] == ("王组长", "commander")
    assert OutboxMessage.objects.last().subject == "再次确认数据库主备状态"


def test_every_kind_of_plan_action(load_seed, on_duty, clock, t0):
    """Seed 003: a timer activates the 收费处 card, posts a notice, tells a role, escalates, switches scenario."""
    plan = load_seed("003")
    incident = lifecycle.open_incident(plan_id=plan, title="HIS 全院瘫痪", scope="region")
    dba = on_duty("dba", "孙工")
    liaison = on_duty("none", "周联络")
    lifecycle.assign(incident, "liaison", liaison)
    most_severe = min(incident.plan.levels, key=lambda lv: lv.rank).id
    actions = {
        "cards": {"kind": "duty_cards", "text": "收费处启用应急", "cards": ["cashier"]},
        "notice": {"kind": "notice", "text": "通知全院", "notice": "staff_emergency_server"},
        "tell": {"kind": "notify", "text": "通知数据库管理员", "roles": ["dba"]},
        "up": {"kind": "escalate", "text": "升级", "level": most_severe},
        "switch": {"kind": "switch_scenario", "text": "启用桌面应急系统", "scenario": "desktop_emergency_system"},
    }
    for minute, (key, action) in enumerate(actions.items(), start=1):
        timers.schedule(incident, Timer.Kind.PLAN, key, t0 + timedelta(minutes=minute), action)
    clock.advance(minutes=10)
    fire(clock)
    incident = Incident.objects.get(pk=incident.pk)
    assert set(incident.timers.filter(kind=Timer.Kind.PLAN).values_list("status", flat=True)) == {"fired"}
    cards = list(incident.duty_cards.values_list("card_id", flat=True))
    assert cards[0] == "cashier" and cards.count("cashier") == 1 and len(cards) > 1
    assert incident.timeline.filter(kind=TimelineEntry.Kind.NOTICE,
                                    text__startswith="启用门诊应急服务器的通知").exists()
    recipients = set(OutboxMessage.objects.filter(incident=incident).values_list("member__name", "subject"))
    assert {("周联络", "通知全院 · 启用门诊应急服务器的通知"), ("孙工", "通知数据库管理员")} <= recipients
    assert incident.level_id == most_severe
    assert incident.scenario_id == "desktop_emergency_system" and incident.checklist.exists()
    assert dba in [m.member for m in OutboxMessage.objects.filter(incident=incident)]

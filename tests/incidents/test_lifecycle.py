"""Lifecycle, level changes and roles."""
from datetime import timedelta

import pytest

from lifeline.accounts.roles import Role
from lifeline.core.errors import Refused
from lifeline.incidents import intake, lifecycle
from lifeline.incidents.models import Assignment, Incident, OutboxMessage, TimelineEntry
from lifeline.people.models import DutyKind, Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(load_seed, t0):
    return lifecycle.open_incident(plan_id=load_seed("001"), title="挂号系统故障", users_pct=30)


def test_walk_the_lifecycle_with_timestamps_and_times(incident, clock, t0):
    clock.advance(minutes=4)
    lifecycle.transition(incident, "acknowledged")
    clock.advance(minutes=10)
    lifecycle.transition(incident, "investigating")
    clock.advance(minutes=20)
    lifecycle.transition(incident, "mitigated")
    clock.advance(minutes=30)
    lifecycle.transition(incident, "resolved")
    lifecycle.transition(incident, "closed", note="复盘完成")
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert incident.time_to_acknowledge == timedelta(minutes=4)
    assert incident.time_to_resolve == timedelta(minutes=64)
    assert incident.mitigated_at == t0 + timedelta(minutes=34)
    statuses = [e.data["new"] for e in incident.timeline.filter(kind=TimelineEntry.Kind.STATUS)]
    assert statuses == ["acknowledged", "investigating", "mitigated", "resolved", "closed"]


@pytest.mark.parametrize("path, bad", [
    ([], "resolved"), ([], "investigating"), (["acknowledged"], "closed"),
    (["acknowledged", "resolved", "closed"], "investigating"), (["acknowledged"], "finished"),
])
def test_out_of_order_transition_is_refused_and_changes_nothing(incident, path, bad):
    for status in path:
        lifecycle.transition(incident, status)
    entries = TimelineEntry.objects.count()
    with pytest.raises(Refused) as caught:
        lifecycle.transition(incident, bad)
    assert caught.value.field == "status"
    assert Incident.objects.get(pk=incident.pk).status == (path[-1] if path else "reported")
    assert TimelineEntry.objects.count() == entries


def test_commander_reclassifies_with_a_reason_and_deadlines_follow(incident, make_user, t0):
    assert incident.level_id == "L2" and incident.respond_by is None  # seed 001 gives 二级 no response time
    commander = make_user("commander", Role.COMMANDER)
    lifecycle.reclassify(incident, "L1", "超过一半用户无法挂号", commander)
    incident.refresh_from_db()
    # 一级: immediate, that is within the plan's paging timeout (escalation.ack_timeout, 5min)
    assert incident.level_id == "L1" and incident.respond_by == t0 + timedelta(minutes=5)
    entry = incident.timeline.get(kind=TimelineEntry.Kind.LEVEL)
    assert entry.actor == commander and "超过一半用户无法挂号" in entry.text and entry.data["old"] == "L2"


@pytest.mark.parametrize("role, level, reason, field", [
    (Role.DUTY, "L1", "why", "user"), (Role.COMMANDER, "L1", " ", "reason"),
    (Role.COMMANDER, "L9", "why", "level"), (Role.COMMANDER, "L2", "why", "level"),
])
def test_bad_reclassification_is_refused(incident, make_user, role, level, reason, field):
    with pytest.raises(Refused) as caught:
        lifecycle.reclassify(incident, level, reason, make_user("someone", role))
    assert caught.value.field == field
    assert Incident.objects.get(pk=incident.pk).level_id == "L2"
    assert not incident.timeline.filter(kind=TimelineEntry.Kind.LEVEL).exists()


def test_roles_filled_from_the_roster_and_handed_over(load_seed, on_duty, make_user):
    plan = load_seed("001")
    lead = on_duty("tech_lead", "王组长")
    backup = on_duty("tech_lead", "李备班", kind=DutyKind.BACKUP)
    scribe = on_duty("duty_it", "赵值班")
    incident = lifecycle.open_incident(plan_id=plan, title="挂号系统故障", users_pct=30)
    held = {a.role: a.member for a in incident.assignments.all()}
    assert held == {"commander": lead, "scribe": scribe}

    lifecycle.assign(incident, "commander", backup, make_user("duty", Role.DUTY), note="王组长去机房")
    current = incident.assignments.get(role="commander", ends_at__isnull=True)
    assert current.member == backup
    assert incident.assignments.get(role="commander", member=lead).ends_at is not None
    handover = incident.timeline.filter(kind=TimelineEntry.Kind.ROLE).last()
    assert "王组长" in handover.text and "李备班" in handover.text and "王组长去机房" in handover.text


def test_commander_falls_back_to_the_backup(load_seed, on_duty):
    plan = load_seed("001")
    backup = on_duty("tech_lead", "李备班", kind=DutyKind.BACKUP)
    incident = lifecycle.open_incident(plan_id=plan, title="挂号系统故障", users_pct=30)
    assert incident.assignments.get(role=Assignment.Kind.COMMANDER).member == backup


def test_unknown_role_is_refused(incident, on_duty):
    member = on_duty("dba", "钱工")
    with pytest.raises(Refused, match="未知角色 juggler"):
        lifecycle.assign(incident, "juggler", member)
    lifecycle.assign(incident, "tech", member)  # a group of the plan
    assert incident.assignments.filter(role="tech").count() == 1


def test_reporters_are_told_when_their_incident_is_acknowledged_mitigated_and_resolved(load_seed, t0, make_user):
    nurse = make_user("nurse", Role.DEPARTMENT)
    Member.objects.create(name="李护士", phone="13900000021", department="门诊", user=nurse)
    mine = intake.submit_report(department="门诊", description="挂号白屏", contact="8021", reporter=nurse)
    called = intake.submit_report(department="急诊", description="挂号白屏", contact="急诊护士站 8120",
                                  source="hotline")
    drill = lifecycle.open_incident(plan_id=load_seed("001"), title="挂号系统故障", users_pct=30, is_drill=True,
                                    reports=[mine.number, called.number])
    for status in ("acknowledged", "investigating", "mitigated", "resolved", "closed"):
        lifecycle.transition(drill, status, note="已切换备用服务器" if status == "resolved" else "")
    told = {(m.dedupe_key.rsplit(":", 1)[1], m.member.name if m.member else m.contact): m
            for m in OutboxMessage.objects.filter(role="reporter")}
    assert sorted(told) == sorted((status, who) for status in ("acknowledged", "mitigated", "resolved")
                                  for who in ("李护士", "急诊护士站 8120"))
    assert mine.number in told["acknowledged", "李护士"].subject
    assert told["acknowledged", "李护士"].subject.startswith("【演练】")
    assert "已切换备用服务器" in told["resolved", "急诊护士站 8120"].body

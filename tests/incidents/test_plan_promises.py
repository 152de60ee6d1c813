"""What the plans promise and the timers now keep (issue 12): the whole chain paged again while
nobody acknowledges, a level's roles told when the incident reaches it (command passing to
its lead when raised), and overdue checklist steps paging their owner, then the commander."""
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from lifeline.accounts.roles import Role
from lifeline.incidents import checklist, escalation, firing, lifecycle, timers
from lifeline.incidents.models import Incident, OutboxMessage, TimelineEntry, Timer
from lifeline.incidents.roles import holder
from lifeline.people.models import DutyKind
from lifeline.plans.printing import render_binder
from lifeline.plans.simulate import simulate

pytestmark = pytest.mark.django_db
REPEAT = "Nobody acknowledged: paging the whole chain again"


def fire(clock):
    """What `lifeline worker` does every second (tasks.fire_due_timers), at the clock's time."""
    firing.fire_due_timers(clock.now(), "test-worker")


def messages(incident, subject=""):
    return list(OutboxMessage.objects.filter(incident=incident, subject__startswith=subject)
                .select_related("member").order_by("pk"))


@pytest.fixture
def roster(on_duty):
    """Seed 004's people on duty: the head of IT (and a backup), the hospital leader, the network admin."""
    return {
        "director": on_duty("it_director", "王主任"),
        "backup": on_duty("it_director", "李副主任", kind=DutyKind.BACKUP),
        "leader": on_duty("hospital_leader", "赵院长"),
        "network": on_duty("network_admin", "孙工"),
    }


# --- the whole chain again while nobody acknowledges --------------------------------------

def test_seed_004_whole_network_failure_pages_the_chain_every_30_min_until_acknowledged(
        load_seed, roster, clock, t0):
    incident = lifecycle.open_incident(plan_id=load_seed("004"), title="Whole network down", scope="whole",
                                       scenario_id="overall_fault")
    assert incident.level_id == "class_1"
    for _minute in range(180):  # three hours, the worker firing every minute, nobody acknowledging
        clock.advance(minutes=1)
        fire(clock)

    repeats = messages(incident, REPEAT)
    rounds = {}
    for message in repeats:
        rounds.setdefault((message.created_at - t0) / timedelta(minutes=1), []).append(message.member.name)
    # 004 names no escalation: every 5 min a hop (15 min for the chain), then every 30 min the whole chain.
    assert list(rounds) == [45, 75, 105, 135, 165]
    # on duty, backup and command centre, each person once (the head of IT leads the command group too)
    assert all(names == ["王主任", "李副主任", "赵院长"] for names in rounds.values())
    assert [m.subject for m in repeats[::3]] == [f"{REPEAT} (round {n})" for n in range(1, 6)]
    # Every repeat is on the timeline: the timer, each person paged, the hop with nobody on duty.
    fired = incident.timeline.filter(kind=TimelineEntry.Kind.TIMER, text__startswith=f"Timer fired: {REPEAT}")
    assert fired.count() == 5
    pages = incident.timeline.filter(kind=TimelineEntry.Kind.PAGE, data__step="chain")
    assert pages.filter(text__startswith="Paged 赵院长 as Hospital leader in charge (whole chain again, round 5)"
                        ).count() == 1
    assert pages.filter(text__startswith="Nobody on duty").count() == 5  # no group lead above the head of IT

    lifecycle.transition(incident, "acknowledged")
    assert incident.timers.get(kind=Timer.Kind.ACK_ESCALATION, key="repeat:6").status == "cancelled"
    clock.advance(hours=2)
    fire(clock)
    assert len(messages(incident, REPEAT)) == 15


def test_the_binder_and_the_simulation_say_what_the_timers_do(load_seed, t0):
    """Seed 004 (English): the repeat the incident sets is the one `plan simulate` shows and the binder prints."""
    incident = lifecycle.open_incident(plan_id=load_seed("004"), title="Whole network down", scope="whole")
    first = incident.timers.get(kind=Timer.Kind.ACK_ESCALATION, key="repeat:1")
    assert first.due_at == t0 + timedelta(minutes=45)
    assert [(e.minute, e.text) for e in simulate(incident.plan, "overall_fault") if e.kind == "renotify"] == [
        (45, "nobody acknowledged: page the whole chain again, every 30 min")]
    reader = PdfReader(io.BytesIO(render_binder(incident.plan, "pdf")))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "page the whole chain again every 30 min; acknowledged but unresolved, remind the commander" in text


def test_a_worker_killed_in_the_middle_of_a_round_sends_it_once_after_the_restart(
        load_seed, roster, clock, t0, monkeypatch):
    incident = lifecycle.open_incident(plan_id=load_seed("004"), title="Whole network down", scope="whole")
    clock.advance(minutes=15)
    fire(clock)
    clock.advance(minutes=30)
    written = []
    real_write = escalation.write

    def dies_after_one(*args, **kwargs):
        if written:
            raise KeyboardInterrupt("kill -9")
        written.append(real_write(*args, **kwargs))
        return written[-1]

    monkeypatch.setattr(escalation, "write", dies_after_one)
    with pytest.raises(KeyboardInterrupt):
        fire(clock)
    monkeypatch.undo()
    assert written and not messages(incident, REPEAT)  # the half-sent round was never committed
    assert incident.timers.get(key="repeat:1").status == "pending"

    fire(clock)
    fire(clock)
    assert [m.member.name for m in messages(incident, REPEAT)] == ["王主任", "李副主任", "赵院长"]
    following = incident.timers.get(key="repeat:2")
    assert following.status == "pending" and following.due_at == t0 + timedelta(minutes=75)


def test_a_worker_back_after_hours_sends_one_round_not_every_missed_one(load_seed, roster, clock, t0):
    incident = lifecycle.open_incident(plan_id=load_seed("004"), title="Whole network down", scope="whole")
    clock.advance(hours=2, minutes=50)  # the worker was down since before the first repeat
    fire(clock)
    assert {m.subject for m in messages(incident, REPEAT)} == {f"{REPEAT} (round 1)"}
    assert incident.timers.get(key="repeat:2").due_at == t0 + timedelta(hours=3, minutes=15)


# --- a level's roles and its lead --------------------------------------------------------

def test_raising_class_2_to_class_1_pages_its_notify_roles_and_hands_command_to_its_lead(
        load_seed, roster, clock, make_user):
    incident = lifecycle.open_incident(plan_id=load_seed("004"), title="Outpatient network down", scope="region")
    assert incident.level_id == "class_2" and holder(incident, "commander") == roster["director"]
    lifecycle.assign(incident, "commander", roster["network"], note="王主任 on the way")
    before = len(messages(incident))
    clock.advance(minutes=10)

    lifecycle.reclassify(incident, "class_1", "the backbone fibre is cut", make_user("boss", Role.COMMANDER))

    subject = "Incident raised to Class 1 fault (whole hospital): the backbone fibre is cut"
    told = [(m.member.name, m.role, m.subject) for m in messages(incident)[before:]]
    # class 1 notifies the hospital leader and the command group (its lead: the head of IT)
    assert told == [("赵院长", "hospital_leader", subject), ("王主任", "it_director", subject)]
    assert holder(incident, "commander") == roster["director"]
    handover = incident.timeline.filter(kind=TimelineEntry.Kind.ROLE).last()
    assert handover.data == {"role": "commander", "member": roster["director"].pk, "previous": roster["network"].pk}
    assert "lead of Class 1 fault (whole hospital)" in handover.text
    assert incident.timeline.filter(
        kind=TimelineEntry.Kind.PAGE, text=f"Told 赵院长 as Hospital leader in charge: {subject}").exists()


def test_a_timer_that_raises_the_level_tells_and_hands_over_the_same_way(load_seed, roster, clock, t0):
    incident = lifecycle.open_incident(plan_id=load_seed("004"), title="Outpatient network down", scope="region")
    lifecycle.assign(incident, "commander", roster["network"])
    timers.schedule(incident, Timer.Kind.PLAN, "up", t0 + timedelta(minutes=20),
                    {"kind": "escalate", "level": "class_1", "text": "Not recovered in 20 min"})
    clock.advance(minutes=20)
    fire(clock)
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.level_id == "class_1" and holder(incident, "commander") == roster["director"]
    assert [m.member.name for m in messages(incident, "Incident raised to")] == ["赵院长", "王主任"]


def test_lowering_tells_the_new_levels_roles_and_command_stays(load_seed, roster, make_user):
    incident = lifecycle.open_incident(plan_id=load_seed("004"), title="One PC down", scope="whole")
    lifecycle.reclassify(incident, "class_3", "only one terminal after all", make_user("boss", Role.COMMANDER))
    assert [(m.member.name, m.subject) for m in messages(incident, "Incident lowered")] == [
        ("孙工", "Incident lowered to Class 3 fault (single terminal): only one terminal after all")]
    assert holder(incident, "commander") == roster["director"]


def test_opening_tells_the_levels_roles_with_its_channels(load_seed, on_duty):
    """Seed 001's 二级 tells the head of IT, the tech group, the clinical and comms leads by 公众号 and 值班群."""
    lead, director = on_duty("tech_lead", "王组长"), on_duty("it_director", "张主任")
    incident = lifecycle.open_incident(plan_id=load_seed("001"), title="挂号系统故障", users_pct=30)
    page, told = messages(incident)
    assert (page.member, page.channels) == (lead, [])  # the page to acknowledge: the member's own order
    assert (told.member, told.subject, told.channels) == (director, "事件已创建，级别：二级",
                                                          ["official_account", "chat_group"])
    texts = list(incident.timeline.filter(kind=TimelineEntry.Kind.PAGE).values_list("text", flat=True))
    assert "已通知张主任（信息中心主任）：事件已创建，级别：二级（渠道：公众号、值班群）" in texts
    assert "临床支持组组长 无人值班，未能通知：事件已创建，级别：二级" in texts  # nobody on the roster for it


# --- overdue steps -----------------------------------------------------------------------

@pytest.fixture
def outage(load_seed, on_duty):
    """Seed 001's network outage (二级, led by the tech lead): 三步核查 due in 1 min, 切换备用线路 in 5 min."""
    people = {"lead": on_duty("tech_lead", "王组长"), "network": on_duty("network_admin", "孙工")}
    incident = lifecycle.open_incident(plan_id=load_seed("001"), title="出口网络中断", scenario_id="network_outage")
    steps = {item.step_id: item for item in incident.checklist.all()}
    return incident, steps, people


def test_an_overdue_step_pages_its_owner_once_then_the_commander_once(outage, clock):
    incident, steps, people = outage
    checklist.tick(incident, steps["identify"].pk)  # done within its minute: nobody is chased for it
    clock.advance(minutes=5)
    fire(clock)
    fire(clock)
    owner_pages = messages(incident, "步骤已超时")
    assert [(m.member, m.subject) for m in owner_pages] == [
        (people["network"], "步骤已超时：技术组在5分钟内切换至备用网络线路")]
    assert incident.timeline.filter(kind=TimelineEntry.Kind.PAGE, text__startswith="已呼叫孙工",
                                    data__step="overdue").count() == 1

    clock.advance(minutes=29)
    fire(clock)
    assert not messages(incident, "步骤仍超时")
    clock.advance(minutes=1)  # the plan's renotify_after (30 min) later, still not done: the commander
    fire(clock)
    clock.advance(hours=2)
    fire(clock)
    assert [(m.member, m.role) for m in messages(incident, "步骤仍超时")] == [(people["lead"], "commander")]
    assert len(messages(incident, "步骤已超时")) == 1


def test_a_step_done_after_its_owner_was_paged_stops_there(outage, clock):
    incident, steps, people = outage
    clock.advance(minutes=1)
    fire(clock)  # 三步核查 is a minute old: its owner (the tech lead) is paged
    assert [m.member for m in messages(incident, "步骤已超时")] == [people["lead"]]
    checklist.tick(incident, steps["identify"].pk)
    checklist.tick(incident, steps["backup_line"].pk)
    assert incident.timers.get(kind=Timer.Kind.STEP_OVERDUE, key=f"{steps['identify'].pk}:commander"
                               ).status == "cancelled"
    clock.advance(hours=1)
    fire(clock)
    assert len(messages(incident, "步骤")) == 1


def test_resolving_stops_the_overdue_pages(outage, clock):
    incident, _steps, _people = outage
    lifecycle.transition(incident, "acknowledged")
    lifecycle.transition(incident, "resolved", confirmed=True)
    clock.advance(hours=1)
    fire(clock)
    assert not messages(incident, "步骤")

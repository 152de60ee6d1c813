"""A started scenario: checklist, decision tree, duty cards."""
from datetime import timedelta

import pytest

from lifeline.accounts.roles import Role
from lifeline.core.errors import Refused
from lifeline.incidents import cards, checklist, lifecycle
from lifeline.incidents.models import ChecklistItem, DutyCardActivation, TimelineEntry, TreeAnswer

pytestmark = pytest.mark.django_db


@pytest.fixture
def crash(load_seed, t0):
    """Seed 001's database crash, started when the incident opens."""
    return lifecycle.open_incident(plan_id=load_seed("001"), title="数据库连接中断", scenario_id="database_crash")


def item(incident, step):
    return incident.checklist.get(step_id=step)


def test_steps_become_the_checklist_with_owners_order_and_due_times(crash, t0, on_duty):
    steps = list(crash.checklist.values_list("step_id", "owner_role", "after"))
    assert steps[:3] == [("identify", "tech", []), ("level_one", "it_director", ["identify"]),
                         ("start_dr", "tech_lead", ["level_one"])]
    assert item(crash, "identify").due_at == t0 + timedelta(minutes=1)
    assert item(crash, "restore_db").due_at == t0 + timedelta(minutes=30)
    assert item(crash, "level_one").due_at is None
    assert crash.timeline.filter(kind=TimelineEntry.Kind.SCENARIO, data__scenario="database_crash").exists()


def test_owner_on_duty_is_the_assignee(load_seed, on_duty):
    dba = on_duty("dba", "钱工")
    incident = lifecycle.open_incident(plan_id=load_seed("001"), title="数据库", scenario_id="database_crash")
    assert item(incident, "restore_db").assignee == dba


def test_tick_in_order_skip_with_reason_and_reassign(crash, make_user, on_duty):
    duty = make_user("duty", Role.DUTY)
    with pytest.raises(Refused, match="请先完成：1分钟内完成三步核查"):
        checklist.tick(crash, item(crash, "level_one").pk, duty)
    assert item(crash, "level_one").status == "open"

    checklist.tick(crash, item(crash, "identify").pk, duty)
    with pytest.raises(Refused) as caught:
        checklist.skip(crash, item(crash, "level_one").pk, "  ", duty)
    assert caught.value.field == "reason"
    checklist.skip(crash, item(crash, "level_one").pk, "二级响应已足够", duty)
    checklist.tick(crash, item(crash, "start_dr").pk, duty)  # a skipped step counts as out of the way
    with pytest.raises(Refused, match="该步骤已处理"):
        checklist.tick(crash, item(crash, "identify").pk, duty)

    dba = on_duty("dba", "钱工")
    checklist.reassign(crash, item(crash, "restore_db").pk, dba, duty)
    done = {i.step_id: (i.status, i.reason) for i in crash.checklist.exclude(status="open")}
    assert done == {"identify": ("done", ""), "level_one": ("skipped", "二级响应已足够"), "start_dr": ("done", "")}
    assert item(crash, "restore_db").assignee == dba
    texts = list(crash.timeline.filter(kind=TimelineEntry.Kind.CHECKLIST).values_list("text", flat=True))
    assert len(texts) == 4 and "二级响应已足够" in texts[1] and "钱工" in texts[3]


def test_decision_tree_is_walked_and_recorded(load_seed, t0):
    incident = lifecycle.open_incident(plan_id=load_seed("004"), title="Ward network down",
                                       scenario_id="regional_fault")
    assert checklist.tree_position(incident).id == "short_time"
    with pytest.raises(Refused) as caught:
        checklist.answer(incident, "short_time", "Maybe")
    assert caught.value.field == "answer" and "Yes / No" in caught.value.message
    with pytest.raises(Refused, match="当前问题是 short_time"):
        checklist.answer(incident, "cause", "Virus")
    assert checklist.answer(incident, "short_time", "No").id == "cause"
    leaf = checklist.answer(incident, "cause", "Virus")
    assert leaf.id == "virus" and "anti-virus" in leaf.action
    assert list(TreeAnswer.objects.values_list("node_id", "answer", "next_node")) == [
        ("short_time", "No", "cause"), ("cause", "Virus", "virus")]
    assert incident.timeline.filter(kind=TimelineEntry.Kind.TREE).last().text.startswith("Do: Immediately cut off")
    with pytest.raises(Refused, match="决策树已到终点"):
        checklist.answer(incident, "virus", "Yes")


def test_scenario_duty_cards_activate_and_departments_acknowledge(crash, make_user, on_duty):
    card = DutyCardActivation.objects.get(incident=crash)
    assert (card.card_id, card.department) == ("clinical_offline", "临床科室（医生、护士）")
    assert list(cards.unacknowledged_cards()) == [card]

    stranger = make_user("pharmacist", Role.DEPARTMENT)
    on_duty("none", "药房小王", department="药房", user=stranger)
    with pytest.raises(Refused) as caught:
        cards.acknowledge_card(crash, "clinical_offline", stranger)
    assert caught.value.field == "user"

    nurse = make_user("nurse", Role.DEPARTMENT)
    on_duty("none", "护士长", department="临床科室（医生、护士）", user=nurse)
    cards.acknowledge_card(crash, "clinical_offline", nurse)
    assert list(cards.unacknowledged_cards()) == []
    assert DutyCardActivation.objects.get(pk=card.pk).acknowledged_by == nurse
    with pytest.raises(Refused, match="已确认过"):
        cards.acknowledge_card(crash, "clinical_offline", nurse)


def test_starting_a_scenario_twice_is_refused(crash):
    count = ChecklistItem.objects.count()
    with pytest.raises(Refused, match="database_crash 已启动"):
        checklist.start_scenario(crash, "database_crash")
    assert ChecklistItem.objects.count() == count


def test_nothing_is_done_to_a_closed_incident(crash):
    for status in ("acknowledged", "resolved", "closed"):
        lifecycle.transition(crash, status, confirmed=True)
    with pytest.raises(Refused, match="已关闭"):
        checklist.tick(crash, item(crash, "identify").pk)
    with pytest.raises(Refused, match="已关闭"):
        lifecycle.add_note(crash, "late", None)

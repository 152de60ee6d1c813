"""The bundled plan of seed 004 (information system failure emergency plan) says what the seed says."""
from datetime import timedelta

import pytest

from lifeline.plans.schema import Plan, TimerActionKind, to_timedelta
from tests.plans.seeds import bundled_file, read, scenario

PLAN_FILE = bundled_file("004")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return read(PLAN_FILE)


def test_plan_is_in_english(plan):
    assert plan.language == "en"


def test_three_fault_classes_by_scope(plan):
    classes = {level.id: level for level in plan.levels}
    assert {(i, lv.rank, tuple(lv.criteria.scope)) for i, lv in classes.items()} == {
        ("class_1", 1, ("whole",)), ("class_2", 2, ("region",)), ("class_3", 3, ("terminal",))}
    assert classes["class_1"].lead == "it_director"
    assert "hospital_leader" in classes["class_1"].notify
    assert classes["class_2"].notify == ["it_director"]
    assert classes["class_3"].lead == "network_admin"
    assert any("Registered in detail for maintenance" == a for a in classes["class_3"].actions)


def test_the_seed_sets_no_deadlines(plan):
    for level in plan.levels:
        assert level.sla.respond == "immediate"
        assert level.sla.resolve is None


MANUAL_DEPARTMENTS = {"Inpatient billing", "Pharmacy", "Nurse workstation", "Doctor workstation", "Warehouse",
                      "Physical examination"}


def test_whole_hospital_fault_switches_to_stand_alone_at_30_min_and_manual_at_3_h(plan):
    timers = scenario(plan, "overall_fault").timers
    by_kind = {(to_timedelta(t.after), t.action.kind): t.action for t in timers}
    assert sorted(by_kind) == sorted((after, kind) for after in (timedelta(minutes=30), timedelta(hours=3))
                                     for kind in (TimerActionKind.SET_MODE, TimerActionKind.DUTY_CARDS))
    stand_alone = by_kind[timedelta(minutes=30), TimerActionKind.SET_MODE]
    manual = by_kind[timedelta(hours=3), TimerActionKind.SET_MODE]
    assert stand_alone.mode == "stand-alone"
    assert stand_alone.departments == ["Outpatient charging"]
    assert manual.mode == "manual"
    assert set(manual.departments) == MANUAL_DEPARTMENTS
    assert all(t.unless == "resolved" for t in timers)


def test_departments_get_their_duty_cards_when_they_switch(plan):
    timers = scenario(plan, "overall_fault").timers
    cards = {c.id: c for c in plan.duty_cards}
    activated = {to_timedelta(t.after): t.action.cards for t in timers if t.action.kind == TimerActionKind.DUTY_CARDS}
    (charging,) = (cards[c] for c in activated[timedelta(minutes=30)])
    assert charging.department == "Outpatient charging"
    assert any("stand-alone operation mode" in d for d in charging.duties)
    assert any("stand-alone program" in d for d in charging.duties)
    manual = [cards[c] for c in activated[timedelta(hours=3)]]
    assert {c.department for c in manual} == MANUAL_DEPARTMENTS
    for card in manual:
        assert "Switch to manual operation" in card.duties
        assert any("re-enter" in d.lower() and "after recovery" in d for d in card.duties)
    assert set(cards) == {charging.id, *(c.id for c in manual)}


def test_whole_hospital_fault_is_reported_to_the_leaders_first(plan):
    first = scenario(plan, "overall_fault").steps[0]
    assert first.title == "Report to the hospital leaders immediately"
    assert first.owner == "it_director"


def test_regional_fault_is_treated_by_its_cause(plan):
    tree = scenario(plan, "regional_fault").decision_tree
    nodes = {node.id: node for node in tree.nodes}
    cause = next(node for node in tree.nodes if node.question == "What caused the regional fault?")
    leaves = {answer.answer: nodes[answer.next].action for answer in cause.answers}
    assert set(leaves) == {"Software or database", "Network or hardware that cannot be replaced", "Virus"}
    software = leaves["Software or database"]
    assert "software company" in software and "stand-alone program" in software and "manual operation" in software
    assert "borrow computers" in leaves["Network or hardware that cannot be replaced"]
    assert "physical connection" in leaves["Virus"] and "anti-virus" in leaves["Virus"]
    # The cause is asked only when the fault cannot be recovered in a short time.
    start = nodes[tree.start]
    assert {a.answer: a.next for a in start.answers}["No"] == cause.id


def test_terminal_fault_falls_back_to_a_borrowed_computer_or_paper(plan):
    terminal = scenario(plan, "terminal_fault")
    assert terminal.level == "class_3"
    assert [s.owner for s in terminal.steps] == ["network_admin", "workstation_staff", "network_admin"]
    assert "re-enter" in terminal.steps[1].detail


def test_medical_insurance_failure_shows_a_patient_notice_and_reaches_the_centres(plan):
    insurance = scenario(plan, "medical_insurance_network")
    (notice_id,) = insurance.notices
    notice = next(n for n in plan.notices if n.id == notice_id)
    assert notice.audience == "patient"
    assert notice.title == "Medical insurance network failure"
    assert "screen" in notice.channels
    steps = {s.id: s for s in insurance.steps}
    assert "medical insurance network failure" in steps["bulletin"].title
    assert "electronic screen" in steps["bulletin"].detail
    assert steps["report_director"].after == ["report_duty"]
    assert steps["report_director"].owner == "duty_it"
    contact = steps["contact_centres"].title
    assert "employee or resident medical insurance centre" in contact and "information management centre" in contact


def test_intake_reports_to_the_information_network_center_then_the_leaders(plan):
    assert "information network center" in plan.intake.steps[0]
    assert "hospital leaders" in plan.intake.steps[-1]


def test_backup_and_recovery_duties(plan):
    measures = {m.id: m for m in plan.preparedness}
    assert measures["db_daily_backup"].schedule.startswith("every day")
    assert "remote backup computer" in measures["db_remote_copy"].text
    assert measures["db_remote_copy"].schedule == "every month"
    assert measures["db_removable_copy"].schedule == "middle and end of each month"
    assert measures["ups_test"].kind == "power" and measures["ups_test"].schedule == "end of each quarter"
    assert "core switch" in measures["network_spares"].text and "convergence switch" in measures["network_spares"].text
    assert measures["interface_check"].schedule == "every day"
    assert measures["hot_standby"].kind == "dr"
    daily = {m.id for m in plan.preparedness if m.schedule == "every day"}
    assert {"server_check", "db_status_check", "antivirus_daily", "interface_check"} <= daily

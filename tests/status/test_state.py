"""The rules that give a component its state, and which of them wins."""
from datetime import timedelta

import pytest

from lifeline.incidents import firing, lifecycle
from lifeline.status import liaison, services
from lifeline.status.models import MaintenanceWindow

pytestmark = pytest.mark.django_db


def states():
    return {s.component.name: s.label for s in services.statuses()}


def test_without_incidents_every_component_is_operational(components, t0):
    assert set(states().values()) == {"正常"}
    assert list(states()) == ["挂号", "收费", "医保接口", "药房", "互联网医院", "检验检查", "住院"]


def test_an_open_incident_naming_a_service_makes_it_partly_affected(components, open_incident, t0):
    open_incident(services=["收费"])
    found = states()
    assert found["收费"] == "部分功能受影响"
    assert found["挂号"] == "正常"


def test_the_plans_most_severe_level_suspends_the_service(components, open_incident, t0):
    open_incident(level_id="L1", services=["挂号"])
    assert states()["挂号"] == "暂停服务"


def test_the_scenarios_components_count_under_the_names_the_plan_uses(components, open_incident, t0):
    # Scenario third_party_interface names 医保接口; server_down names 问诊, 开药 (互联网医院's other names).
    open_incident(title="医保接口超时", scenario_id="third_party_interface")
    open_incident(title="应用服务器宕机", scenario_id="server_down")
    found = states()
    assert found["医保接口"] == "部分功能受影响"
    assert found["互联网医院"] == "部分功能受影响"
    assert found["收费"] == "正常"


def test_stand_alone_working_mode_suspends_the_service_when_the_timer_switches_it(components, bundled, t0, clock):
    # Plan 004: not recovered in 30 min, outpatient charging works stand-alone (收费 is "Outpatient charging").
    incident = lifecycle.open_incident(plan_id="his_failure", title="全院网络故障", level_id="class_2",
                                       scenario_id="overall_fault")
    assert states()["收费"] == "部分功能受影响"
    clock.advance(minutes=30)
    firing.fire_due_timers(clock.now(), "test")
    incident.refresh_from_db()
    assert incident.modes["Outpatient charging"] == "stand-alone"
    found = states()
    assert found["收费"] == "暂停服务"
    assert found["住院"] == "部分功能受影响"  # manual only after 3 h
    clock.advance(hours=3)
    firing.fire_due_timers(clock.now(), "test")
    assert states()["住院"] == "暂停服务"


def test_drills_never_change_a_state(components, open_incident, t0):
    open_incident(level_id="L1", services=["挂号", "收费"], is_drill=True)
    assert set(states().values()) == {"正常"}


def test_a_resolved_incident_leaves_the_service_operational(components, open_incident, t0):
    incident = open_incident(services=["药房"])
    assert states()["药房"] == "部分功能受影响"
    lifecycle.transition(incident, "acknowledged")
    lifecycle.transition(incident, "resolved")
    assert states()["药房"] == "正常"


def test_a_maintenance_window_wins_over_an_incident(components, open_incident, t0, clock):
    open_incident(level_id="L1", services=["住院"])
    window = MaintenanceWindow.objects.create(starts_at=t0 + timedelta(hours=1), ends_at=t0 + timedelta(hours=2))
    window.components.add(components["inpatient"])
    assert states()["住院"] == "暂停服务"
    clock.advance(hours=1)
    assert states()["住院"] == "维护中"
    clock.advance(hours=1)
    assert states()["住院"] == "暂停服务"


def test_an_override_wins_until_it_expires(components, open_incident, make_user, t0, clock):
    open_incident(level_id="L1", services=["挂号"])
    duty = make_user("zhangwei")
    liaison.set_override(component=components["registration"], state="degraded", minutes=45,
                         reason="窗口可挂号，自助机暂停", user=duty)
    status = services.component_state(components["registration"])
    assert status.label == "部分功能受影响"
    assert "窗口可挂号，自助机暂停" in status.why[0]
    clock.advance(minutes=44)
    assert states()["挂号"] == "部分功能受影响"
    clock.advance(minutes=1)
    assert states()["挂号"] == "暂停服务"


def test_a_new_override_replaces_the_old_and_withdrawing_it_returns_to_the_rules(components, make_user, t0):
    duty = make_user("zhangwei")
    charging = components["charging"]
    first = liaison.set_override(component=charging, state="outage", minutes=60, reason="停机", user=duty)
    second = liaison.set_override(component=charging, state="maintenance", minutes=60, reason="升级", user=duty)
    first.refresh_from_db()
    assert first.withdrawn_at == t0
    assert states()["收费"] == "维护中"
    liaison.withdraw(second, duty)
    assert states()["收费"] == "正常"


@pytest.mark.parametrize("field, values, message", [
    ("minutes", {"minutes": 0}, "1 到 10080 分钟"),
    ("minutes", {"minutes": 7 * 24 * 60 + 1}, "10080"),
    ("reason", {"reason": "  "}, "原因"),
    ("state", {"state": "broken"}, "未知状态 broken"),
])
def test_a_bad_override_names_the_field_and_changes_nothing(components, make_user, t0, field, values, message):
    from django.core.exceptions import ValidationError

    args = {"component": components["charging"], "state": "outage", "minutes": 30, "reason": "停机",
            "user": make_user("zhangwei"), **values}
    with pytest.raises(ValidationError) as raised:
        liaison.set_override(**args)
    assert message in " ".join(raised.value.message_dict[field])
    assert states()["收费"] == "正常"


def test_a_down_probe_suspends_its_component_and_a_flapping_one_affects_it(components, t0):
    from lifeline.detection.models import Probe

    Probe.objects.create(name="挂号接口", kind=Probe.Kind.HTTP, component=components["registration"],
                         state=Probe.State.DOWN)
    Probe.objects.create(name="收费库", kind=Probe.Kind.SQL, component=components["charging"],
                         state=Probe.State.FLAPPING)
    Probe.objects.create(name="药房接口", kind=Probe.Kind.HTTP, component=components["pharmacy"],
                         state=Probe.State.DOWN, enabled=False)
    found = states()
    assert (found["挂号"], found["收费"], found["药房"]) == ("暂停服务", "部分功能受影响", "正常")
    assert "挂号接口" in services.component_state(components["registration"]).why[0]

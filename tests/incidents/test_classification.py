"""Classification under the plan's level scheme, and reports collapsing into one incident."""
import pytest

from lifeline.core.errors import Refused
from lifeline.incidents import intake, levels, lifecycle
from lifeline.incidents.models import Incident, Report, TimelineEntry

pytestmark = pytest.mark.django_db


def report(department, text="HIS 登录失败"):
    return intake.submit_report(department=department, description=text, contact="分机 1")


@pytest.mark.parametrize("users_pct, level, name", [(60, "L1", "一级"), (30, "L2", "二级"), (10, "L3", "三级")])
def test_seed_001_level_by_share_of_users(load_seed, t0, users_pct, level, name):
    plan = load_seed("001")
    incident = lifecycle.open_incident(plan_id=plan, title="互联网医院无法问诊", users_pct=users_pct)
    assert levels.classify(incident).level == level
    assert incident.level_id == level and incident.level.name == name


@pytest.mark.parametrize("scope, level, words", [("whole", "class_1", "全院"), ("region", "class_2", "区域或部门"),
                                                 ("terminal", "class_3", "单个终端")])
def test_seed_004_level_by_scope(load_seed, t0, scope, level, words):
    plan = load_seed("004")
    incident = lifecycle.open_incident(plan_id=plan, title="HIS fault", scope=scope)
    found = levels.classify(incident)
    assert (found.level, found.matched) == (level, [f"影响范围：{words}"])


def test_losing_a_service_of_a_level_is_enough(load_seed, t0):
    plan = load_seed("004")
    incident = lifecycle.open_incident(plan_id=plan, title="Database down", scope="region",
                                       services=["Server database"])
    assert incident.level_id == "class_1"
    assert levels.classify(incident).matched == ["停用的服务：Server database"]


def test_without_facts_the_scenario_level_applies(load_seed, t0):
    plan = load_seed("004")
    incident = lifecycle.open_incident(plan_id=plan, title="Insurance down", scenario_id="medical_insurance_network")
    assert levels.classify(incident).level is None
    assert incident.level_id == "class_2"


def test_reports_collapse_into_one_incident_and_count(load_seed, t0, make_user):
    plan = load_seed("004")
    duty = make_user("duty")
    first, second, third = report("收费处"), report("药房"), report("收费处", "收费系统卡死")
    incident = lifecycle.open_incident(plan_id=plan, title="HIS down", reports=[first.number], scope="whole",
                                       user=duty)
    lifecycle.attach_report(incident, second.number, duty)
    lifecycle.attach_report(incident, third.number, duty)
    found = levels.classify(incident)
    assert (found.reports, found.departments) == (3, ["收费处", "药房"])
    assert set(Report.objects.values_list("incident", flat=True)) == {incident.pk}
    assert Report.objects.get(pk=second.pk).triaged_by == duty
    assert incident.timeline.filter(kind=TimelineEntry.Kind.REPORT).count() == 3


def test_a_report_joins_one_incident_only(load_seed, t0):
    plan = load_seed("004")
    shared = report("收费处")
    incident = lifecycle.open_incident(plan_id=plan, title="HIS down", reports=[shared.number])
    with pytest.raises(Refused, match="已并入事件"):
        lifecycle.open_incident(plan_id=plan, title="Again", reports=[shared.number])
    with pytest.raises(Refused, match="找不到故障报告：BG-0"):
        lifecycle.attach_report(incident, "BG-0")
    assert Incident.objects.count() == 1


@pytest.mark.parametrize("facts, field", [
    ({"level_id": "class_9"}, "level"), ({"scenario_id": "nope"}, "scenario"), ({"scope": "galaxy"}, "scope"),
    ({"users_pct": 140}, "users_pct"), ({"plan_id": "no_plan"}, "plan"), ({"title": " "}, "title"),
])
def test_bad_facts_are_refused_naming_the_field(load_seed, t0, facts, field):
    plan = load_seed("004")
    with pytest.raises(Refused) as caught:
        lifecycle.open_incident(**{"plan_id": plan, "title": "HIS down", **facts})
    assert caught.value.field == field
    assert not Incident.objects.exists() and not TimelineEntry.objects.exists()

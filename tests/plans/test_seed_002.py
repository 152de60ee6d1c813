"""Seed 002 (maintenance and emergency plan of a reproductive-medicine system) as a bundled plan."""
from datetime import datetime, timedelta

import pytest

from lifeline.plans.schema import Plan, deadline_after, to_timedelta
from tests.plans.seeds import bundled_file, read, scenario

PLAN_FILE = bundled_file("002")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return read(PLAN_FILE)


def test_fault_grades_with_their_response_and_handling_times(plan):
    levels = {level.name: level for level in plan.levels}
    general, major, critical = levels["一般故障"], levels["重大故障"], levels["特大故障"]
    assert (critical.rank, major.rank, general.rank) == (1, 2, 3)
    assert (to_timedelta(general.sla.respond), to_timedelta(general.sla.resolve)) == (
        timedelta(hours=2), timedelta(hours=24))
    assert (to_timedelta(major.sla.respond), to_timedelta(major.sla.resolve)) == (
        timedelta(hours=8), timedelta(hours=72))
    assert critical.sla.respond == "immediate"
    assert {"hospital_leader", "project"} <= set(critical.notify)
    assert "software_company" in major.notify


def test_remote_service_terms(plan):
    categories = {c.id: c for c in plan.problem_categories}
    simple, blocking = categories["simple"], categories["affects_use"]
    assert simple.sla.resolve == "2wd"
    friday = datetime(2025, 1, 3, 10)
    assert deadline_after(friday, simple.sla.resolve) == datetime(2025, 1, 7, 10)  # two working days
    assert blocking.sla.respond == "immediate" and to_timedelta(blocking.sla.resolve) == timedelta(hours=8)
    assert "书面技术方案" in blocking.description


def test_response_flow_in_the_seeds_order(plan):
    titles = [step.title for step in scenario(plan, "system_fault").steps]
    assert titles == ["事件报警与确认", "检查网络连接", "检查应用服务器性能指标", "检查后台数据库服务器性能指标",
                      "安全审计及事故分析", "消除隐患、恢复正常运行", "重新启动系统", "安全报告、归档"]
    steps = {step.id: step for step in scenario(plan, "system_fault").steps}
    assert "WebSphere进程" in steps["check_app_server"].detail
    assert "双机状态" in steps["check_database"].detail
    assert steps["restart"].detail == "启动数据库服务器→启动应用服务器。"


def test_the_three_critical_procedures(plan):
    login, timeout, app_server = (scenario(plan, i) for i in ("login_failure", "db_connection_timeout",
                                                              "app_server_failure"))
    assert [login.name, timeout.name, app_server.name] == ["系统无法登录", "系统应用连接数据库超时",
                                                           "应用服务器系统故障"]
    assert all(s.level == "critical" for s in (login, timeout, app_server))
    login_actions = [node.action for node in login.decision_tree.nodes if node.action]
    assert any("启动数据库服务器数据库服务" in a for a in login_actions)
    assert any("保留现场" in a for a in login_actions)
    timeout_actions = [node.action for node in timeout.decision_tree.nodes if node.action]
    assert any("重新配置系统数据源" in a for a in timeout_actions)
    assert any("防止不知情用户继续投递数据" in a for a in timeout_actions)
    back = next(step for step in app_server.steps if step.id == "back_in_24h")
    assert to_timedelta(back.due) == timedelta(hours=24)
    assert to_timedelta(app_server.timers[0].after) == timedelta(hours=24)


def test_every_scenario_has_steps_with_owners(plan):
    actors = {g.id for g in plan.groups} | {r.id for r in plan.roles}
    for s in plan.scenarios:
        assert s.steps and all(step.owner in actors for step in s.steps), s.id


def test_inspection_training_meetings_and_patches(plan):
    measures = {m.id: m for m in plan.preparedness}
    inspection = measures["quarterly_inspection"]
    assert inspection.kind == "inspection" and inspection.schedule == "每季度" and "巡检报告" in inspection.text
    assert measures["training"].kind == "training"
    assert measures["monthly_phone_meeting"].schedule == "每月" and "电话会议" in measures["monthly_phone_meeting"].text
    assert "补丁" in measures["patch_notices"].text

"""Seed 000 (go-live plan of the provincial procurement platform) as a bundled plan."""
from datetime import timedelta

import pytest

from lifeline.plans.schema import Plan, TimerActionKind, to_timedelta
from tests.plans.seeds import bundled_file, read, scenario

PLAN_FILE = bundled_file("000")

# The people the seed names in §1; the plan must name their roles only.
SEED_NAMES = ["令桂莲", "杨微", "颜子钦", "赵振武", "曲彦华", "周剑锋", "刘伟", "王慧兵",
              "韩龙飞", "王瑞", "许仕奇", "王宇峰", "宋凯"]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return read(PLAN_FILE)


def branches(tree):
    """{answer of the start question: the node it leads to}."""
    nodes = {node.id: node for node in tree.nodes}
    return {a.answer: nodes[a.next] for a in nodes[tree.start].answers}


def test_no_personal_name_from_the_seed():
    text = PLAN_FILE.read_text(encoding="utf-8")
    assert [name for name in SEED_NAMES if name in text] == []


def test_command_centre_and_its_onsite_group(plan):
    groups = {g.id: g for g in plan.groups}
    assert groups["hq"].kind == "command" and groups["hq"].lead == "commander"
    assert groups["hq"].members.core == 5  # 组长, two 副组长, two 组员
    assert any("应急故障级别" in duty for duty in groups["hq"].duties)
    assert groups["onsite"].parent == "hq" and groups["onsite"].members.core == 8
    titles = {r.id: r.title for r in plan.roles}
    assert titles["commander"].startswith("组长") and titles["deputy_commander"].startswith("副组长")


def test_levels_are_the_seeds_problem_categories(plan):
    ranked = sorted(plan.levels, key=lambda level: level.rank)
    assert [level.name for level in ranked] == ["特大问题", "严重问题", "一般问题"]
    general = ranked[2]
    assert to_timedelta(general.sla.respond) == to_timedelta(general.sla.resolve) == timedelta(days=1)  # 当天完成
    assert ranked[0].sla.respond == "immediate"
    assert {c.name: c.level for c in plan.problem_categories} == {
        "一般问题": "general", "严重问题": "serious", "特大问题": "critical"}


def test_program_fault_switches_to_the_old_platform_after_2_hours(plan):
    timer = scenario(plan, "program_fault").timers[0]
    assert to_timedelta(timer.after) == timedelta(hours=2) and timer.unless == "resolved"
    assert timer.action.kind == TimerActionKind.SWITCH_SCENARIO
    old = scenario(plan, timer.action.scenario)
    assert any("切换至老平台" in step.title for step in old.steps)


def test_portal_login_has_the_three_cases(plan):
    cases = branches(scenario(plan, "portal_login").decision_tree)
    assert len(cases) == 3
    (individual, to_client), (one_unit, to_network), (after_login, to_platform) = cases.items()
    assert "个别机器或者用户" in individual and "本地系统管理员" in to_client.action
    assert "某单位" in one_unit and "网络运营商" in to_network.action
    assert "子系统" in after_login and "指挥中心运行保障团队" in to_platform.action and to_platform.owner == "ops"


def test_data_permission_tells_some_accounts_from_all(plan):
    cases = branches(scenario(plan, "data_permission").decision_tree)
    assert {answer: node.owner for answer, node in cases.items()} == {"部分账号": "sysadmin", "所有账号": "developer"}


def test_public_service_tells_individual_users_from_the_whole_province(plan):
    (individual, to_admin), (province, to_bureau) = branches(scenario(plan, "public_service").decision_tree).items()
    assert "个别机器或用户" in individual and "域名解析" in to_admin.action and to_admin.owner == "sysadmin"
    assert "全省" in province and to_bureau.owner == "provincial_bureau"


def test_hardware_repair_over_a_day_posts_a_notice(plan):
    cloud = scenario(plan, "cloud_platform")
    timer = cloud.timers[0]
    assert to_timedelta(timer.after) == timedelta(days=1)
    assert timer.action.kind == TimerActionKind.NOTICE
    assert timer.action.notice in {n.id for n in plan.notices}


def test_backbone_network_notice_only_after_24_hours(plan):
    backbone = scenario(plan, "backbone_network")
    timer = backbone.timers[0]
    assert to_timedelta(timer.after) == timedelta(hours=24) and timer.action.kind == TimerActionKind.NOTICE
    assert any("24小时内无需张贴通知" in step.title for step in backbone.steps)
    assert scenario(plan, "natural_disaster").level == backbone.level == "critical"


def test_every_scenario_has_steps_with_owners(plan):
    actors = {g.id for g in plan.groups} | {r.id for r in plan.roles}
    assert len(plan.scenarios) == 11  # §3's eight, §5's two, and the old platform they switch to
    for s in plan.scenarios:
        assert s.steps, s.id
        assert all(step.owner in actors for step in s.steps), s.id


def test_intake_hotline_qq_group_tracking_table_and_feedback(plan):
    assert {"hotline", "chat_group"} <= {c.value for c in plan.intake.channels}
    text = "\n".join(plan.intake.steps)
    for words in ("7*24小时专线电话", "QQ群", "上线问题跟踪表", "内部沟通群", "反馈问题上报人"):
        assert words in text


def test_preparedness_go_live_tasks_spare_parts_and_dr(plan):
    measures = {m.id: m for m in plan.preparedness}
    go_live = [m for m in plan.preparedness if m.kind == "go_live"]
    assert len(go_live) == 5 and all(m.responsible and m.due for m in go_live)
    assert measures["golive_publicity"].due == "2022年8月24日前"
    for part in ("预备服务器", "交换机", "防火墙", "光模块", "硬盘", "内存", "cpu"):
        assert part in measures["spare_parts_library"].text
    for dr in ("provincial_dr", "city_dr"):
        assert measures[dr].kind == "dr"
        assert all(f"{n}）" in measures[dr].text for n in range(1, 5))  # the four layers

"""Seed 001 (an internet hospital's outage measures) as a bundled plan."""
from datetime import timedelta

import pytest

from lifeline.plans.schema import Channel, Plan, to_timedelta
from tests.plans.seeds import bundled_file, read, scenario

PLAN_FILE = bundled_file("001")

# The seed names two colleagues by nickname; the plan keeps their skills, not their names.
SEED_NAMES = ["小李", "王姐"]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return read(PLAN_FILE)


@pytest.fixture(scope="module")
def levels(plan):
    return {level.name: level for level in plan.levels}


def test_no_personal_name_from_the_seed():
    text = PLAN_FILE.read_text(encoding="utf-8")
    assert [name for name in SEED_NAMES if name in text] == []


def test_command_led_by_the_it_director_with_three_groups_of_5_plus_3(plan):
    groups = {g.id: g for g in plan.groups}
    assert groups["hq"].kind == "command" and groups["hq"].lead == "it_director"
    assert {ident: groups[ident].name for ident in ("tech", "clinical", "comms")} == {
        "tech": "技术组", "clinical": "临床支持组", "comms": "患者沟通组"}
    for ident in ("tech", "clinical", "comms"):
        assert (groups[ident].members.core, groups[ident].members.backup) == (5, 3)
        assert groups[ident].parent == "hq"


def test_levels_by_share_of_users(levels):
    one, two, three = levels["一级"], levels["二级"], levels["三级"]
    assert (one.rank, two.rank, three.rank) == (1, 2, 3)
    assert one.criteria.users_pct.contains(51) and not one.criteria.users_pct.contains(50)
    assert two.criteria.users_pct.contains(50) and two.criteria.users_pct.contains(20)
    assert three.criteria.users_pct.contains(19.9) and not three.criteria.users_pct.contains(20)


def test_what_each_level_switches_on(levels):
    one, two, three = levels["一级"], levels["二级"], levels["三级"]
    assert one.actions == ["启动灾备中心", "全院广播通知", "开通应急电话专线"]
    assert {Channel.BROADCAST, Channel.HOTLINE} <= set(one.channels)
    assert "切换备用服务器" in two.actions and Channel.OFFICIAL_ACCOUNT in two.channels
    assert "由技术组内部处理" in three.actions and Channel.APP_BANNER in three.channels
    assert any("部分功能正在修复" in action for action in three.actions)


def test_network_outage_trigger_and_5_minute_switch(plan):
    outage = scenario(plan, "network_outage")
    assert outage.level == "L2"
    rule = next(t for t in outage.triggers if t.metric)
    assert (rule.op, rule.threshold, rule.consecutive, rule.unit) == (">", 95, 3, "%")
    assert "无法访问外部服务" in rule.description
    steps = {step.id: step for step in outage.steps}
    assert to_timedelta(steps["backup_line"].due) == timedelta(minutes=5)
    assert steps["backup_line"].owner in {"network_admin", "tech"}
    assert steps["offline_scan"].owner == "clinical" and "线下扫码接诊" in steps["offline_scan"].title


def test_the_five_named_fault_types_and_the_missing_seven_are_said(plan):
    assert [s.name for s in plan.scenarios] == [
        "数据库崩溃", "服务器宕机", "网络中断", "第三方接口异常（如医保系统）", "恶意攻击"]
    assert "12类" in plan.summary and "其余7类" in plan.summary and "截断" in plan.summary


def test_every_scenario_starts_with_the_1_minute_three_checks(plan):
    for s in plan.scenarios:
        first = s.steps[0]
        assert to_timedelta(first.due) == timedelta(minutes=1) and first.owner == "tech", s.id
        for check in ("告警类型", "报错日志", "测试账号模拟患者操作"):
            assert check in first.detail
        answers = [a.answer for a in s.decision_tree.nodes[0].answers]
        assert any("假故障" in a for a in answers) and any("真瘫痪" in a for a in answers)


def test_every_scenario_has_steps_with_owners(plan):
    actors = {g.id for g in plan.groups} | {r.id for r in plan.roles}
    for s in plan.scenarios:
        assert s.steps and all(step.owner in actors for step in s.steps), s.id


def test_app_banner_notice(plan):
    banner = next(n for n in plan.notices if Channel.APP_BANNER in n.channels and n.audience == "patient")
    assert banner.body == "部分功能正在修复"


def test_dr_backups_and_training(plan):
    measures = {m.id: m for m in plan.preparedness}
    dr = measures["two_sites_three_centres"].text
    assert "20公里" in dr and "200公里" in dr and "3分钟内完成接管" in dr
    assert measures["full_backup"].schedule == "每天凌晨1点" and measures["incremental_backup"].schedule == "每小时"
    assert all(where in measures["full_backup"].text for where in ("本地磁盘", "云存储", "离线磁带"))
    assert measures["tech_training"].schedule == "每月" and "30分钟内恢复" in measures["tech_training"].text
    assert "医保接口异常" in measures["insurance_interface_drill"].text
    assert "定位打卡" in measures["contact_book"].title


def test_levels_two_and_three_have_no_response_time_the_seed_does_not_give(plan):
    levels = {level.id: level for level in plan.levels}
    assert levels["L1"].sla.respond == "immediate"  # 真瘫痪要立即触发一级响应
    for level_id in ("L2", "L3"):
        sla = levels[level_id].sla
        assert sla.respond is None and sla.resolve is None, level_id
        assert "原预案未规定" in sla.note, level_id
    text = PLAN_FILE.read_text(encoding="utf-8")
    assert "respond: 1min" not in text and text.count("NOT IN THE SEED") >= 2

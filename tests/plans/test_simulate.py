"""A dry run of a scenario shows when each step is due, who is paged and when each timer fires."""
import io

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from lifeline.plans import schema, services
from lifeline.plans.simulate import UnknownScenario, format_offset, simulate
from tests.plans.sample import PLAN_YAML, THREE_ERRORS
from tests.plans.seeds import bundled_file, read


@pytest.fixture
def plan():
    return schema.Plan.model_validate(yaml.safe_load(PLAN_YAML))


def at(events, kind):
    return [(e.minute, e.text) for e in events if e.kind == kind]


def test_timers_fire_at_their_minutes(plan):
    assert at(simulate(plan, "db_down"), "timer") == [
        (15, "通知技术组组长到场（若届时仍未解决）"),
        (30, "启动收费处应急职责卡（若届时仍未解决）"),
        (180, "转入手工流程（若届时仍未解决）"),
    ]


def test_steps_are_due_at_their_minutes_with_their_owner(plan):
    assert at(simulate(plan, "db_down"), "step") == [(5, "评估故障范围（信息中心值班人员）"),
                                                     (30, "切换备库（数据库管理员）")]


def test_escalation_pages_one_hop_per_ack_timeout_then_renotifies(plan):
    events = simulate(plan, "db_down")
    assert [minute for minute, _text in at(events, "page")] == [0, 5, 10, 15]
    assert at(events, "page")[-1] == (15, "呼叫指挥中心（应急指挥中心），直至确认")
    assert at(events, "renotify") == [(45, "无人确认：每隔 30 分钟重新呼叫整条升级链")]


def test_start_activates_duty_cards_and_suggests_notices(plan):
    events = simulate(plan, "db_down")
    assert events[0] == (0, "start", "数据库宕机，起始级别：一级")
    assert at(events, "duty_card") == [(0, "收费处职责卡")]
    assert at(events, "notice") == [(0, "建议发布：系统维护通知")]
    assert [e.minute for e in events] == sorted(e.minute for e in events)


def test_unknown_scenario_lists_the_plan_scenarios(plan):
    with pytest.raises(UnknownScenario, match="没有故障场景 'his_down'；已有的故障场景：db_down, paper"):
        simulate(plan, "his_down")


def test_an_english_plan_is_simulated_in_english_for_a_chinese_reader():
    plan = read(bundled_file("004"))
    with translation.override("zh-hans"):
        events = simulate(plan, "overall_fault")
        assert events[0] == (
            0, "start", "Whole-hospital (overall) fault starts at level Class 1 fault (whole hospital)")
        assert at(events, "timer")[0] == (
            30, "Outpatient charging enters the stand-alone operation mode. (unless resolved by then)")
        assert at(events, "step")[0] == (
            0, "Report to the hospital leaders immediately (Head of the information department), no deadline")
        assert at(events, "renotify") == [(45, "nobody acknowledged: page the whole chain again, every 30 min")]
        assert translation.get_language() == "zh-hans"  # the reader's language is left as it was
        with pytest.raises(UnknownScenario, match="预案 his_failure 中没有故障场景 'nope'"):
            simulate(plan, "nope")  # the reader's mistake, told in the reader's language


@pytest.mark.parametrize("minute, text", [(0, "T+0"), (30, "T+30min"), (180, "T+3h"), (90, "T+1h30min"),
                                          (1.5, "T+1min30s"), (2880, "T+2d")])
def test_offsets_read_like_the_plan_writes_them(minute, text):
    assert format_offset(minute) == text


def test_plan_simulate_prints_a_timeline_from_a_file(write_plan):
    out = io.StringIO()
    call_command("plan", "simulate", str(write_plan(PLAN_YAML)), "--scenario", "db_down", stdout=out)
    rows = [line.split(None, 2) for line in out.getvalue().splitlines()]
    assert ["T+30min", "timer", "启动收费处应急职责卡（若届时仍未解决）"] in rows
    assert ["T+3h", "timer", "转入手工流程（若届时仍未解决）"] in rows


@pytest.mark.django_db
def test_plan_simulate_reads_a_loaded_plan_and_names_a_wrong_scenario(write_plan):
    services.load_files([write_plan(PLAN_YAML)])
    out = io.StringIO()
    call_command("plan", "simulate", "demo-his", "--scenario", "paper", stdout=out)
    assert "发放手工单据（总指挥），无时限" in out.getvalue()
    with pytest.raises(CommandError, match="--scenario: 预案 demo-his 中没有故障场景 'nope'"):
        call_command("plan", "simulate", "demo-his", "--scenario", "nope", stdout=out)
    with pytest.raises(CommandError, match="no loaded plan 'other'"):
        call_command("plan", "simulate", "other", "--scenario", "paper", stdout=out)


def test_plan_simulate_of_a_bad_file_shows_its_problems(write_plan):
    out = io.StringIO()
    with pytest.raises(CommandError, match="3 problem"):
        call_command("plan", "simulate", str(write_plan(THREE_ERRORS)), "--scenario", "db_down", stdout=out)
    assert "has no owner" in out.getvalue()


def test_a_step_not_done_by_its_due_time_pages_its_owner_then_the_commander(plan):
    """As lifeline.incidents does: the owner at the step's due time, the commander renotify_after later."""
    assert at(simulate(plan, "db_down"), "overdue") == [
        (5, "评估故障范围未按时完成：呼叫信息中心值班人员"),
        (30, "切换备库未按时完成：呼叫数据库管理员"),
        (35, "评估故障范围仍未完成：呼叫事件指挥"),
        (60, "切换备库仍未完成：呼叫事件指挥"),
    ]


def test_the_level_says_who_is_told_and_by_which_channels():
    events = simulate(read(bundled_file("001")), "network_outage")
    [(minute, text)] = at(events, "level")
    assert minute == 0 and text.startswith("负责：技术组组长；通知：信息中心主任, 技术组")
    assert text.endswith("（渠道：公众号、值班群）")

"""The bundled plan of seed 003 (总医院信息系统应急方案) says what the seed says."""
import re

import pytest

from lifeline.plans.schema import Plan
from tests.plans.seeds import bundled_file, read, scenario

PLAN_FILE = bundled_file("003")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return read(PLAN_FILE)


def step(found, ident):
    return next(s for s in found.steps if s.id == ident)


def test_plan_is_in_simplified_chinese(plan):
    assert plan.language == "zh-hans"
    text = PLAN_FILE.read_text(encoding="utf-8")
    assert not set("總醫應統據庫務處啟藥") & set(text)  # no traditional characters left


def test_three_fault_tiers_with_first_tier_most_severe(plan):
    ranks = {level.name: level.rank for level in plan.levels}
    assert ranks == {"一级故障": 1, "二级故障": 2, "三级故障": 3}
    assert scenario(plan, "db_cluster_one_node").level == "level_3"
    assert scenario(plan, "outpatient_emergency_server").level == "level_2"
    assert scenario(plan, "desktop_emergency_system").level == "level_1"


def test_single_db_node_failure_follows_steps_a_to_h(plan):
    steps = scenario(plan, "db_cluster_one_node").steps
    assert [(s.id, s.title, s.owner) for s in steps] == [
        ("A", "逻辑备份全部数据库", "dba"),
        ("B", "关闭应用服务器", "sysadmin"),
        ("C", "关闭故障服务器", "sysadmin"),
        ("D", "重启应用服务器", "sysadmin"),
        ("E", "修理故障服务器", "sysadmin"),
        ("F", "夜间重启修复的故障服务器", "sysadmin"),
        ("G", "重启应用服务器", "sysadmin"),
        ("H", "故障恢复", "it_director"),
    ]


def test_both_db_servers_down_follows_steps_a_to_i_and_falls_back(plan):
    both = scenario(plan, "db_cluster_both_down")
    assert [s.id for s in both.steps] == list("ABCDEFGHI")
    assert [s.title for s in both.steps[:5]] == [
        "关闭应用服务器", "关闭两台故障服务器", "重启磁盘阵列", "重启 DBServerA", "重启 DBServerB"]
    assert "5 分钟" in step(both, "F").title
    last = step(both, "I")
    assert "门诊应急服务器" in last.title and "门诊桌面应急系统" in last.title
    assert last.switch_to == "outpatient_emergency_server"
    leaves = {node.action for node in both.decision_tree.nodes if node.action}
    assert {"启用门诊应急服务器", "启动门诊桌面应急系统"} <= leaves


def test_every_step_has_an_owner_of_this_plan(plan):
    roles = {role.id for role in plan.roles}
    for found in plan.scenarios:
        for each in found.steps:
            assert each.owner in roles, f"{found.id} step {each.id}"


def test_every_switch_to_names_an_existing_scenario(plan):
    scenarios = {s.id for s in plan.scenarios}
    targets = [(s.id, each.id, each.switch_to) for s in plan.scenarios for each in s.steps if each.switch_to]
    assert {(s, i) for s, i, _ in targets} == {("db_cluster_both_down", "I"), ("disk_storage_redundancy", "L")}
    assert all(target in scenarios for _s, _i, target in targets)


def test_disk_storage_recovery_runs_a_to_l(plan):
    disk = scenario(plan, "disk_storage_redundancy")
    assert [s.id for s in disk.steps] == list("ABCDEFGHIJKL")
    assert step(disk, "A").title == "联系厂家获取配件"
    assert step(disk, "G").owner == "hardware_vendor"


def test_app_servers_by_address(plan):
    apps = scenario(plan, "app_server_redundancy")
    assert [s.id for s in apps.steps] == ["A", "B", "C"]
    assert "AppServer3" in step(apps, "C").title
    assert ".103" in step(apps, "C").detail
    assert any(".101" in c and "门诊" in c for c in apps.components)
    assert any(".102" in c and "住院" in c for c in apps.components)


def test_emergency_server_raises_sequences_by_100000_before_it_starts(plan):
    server = scenario(plan, "outpatient_emergency_server")
    ids = [s.id for s in server.steps]
    assert ids == list("ABCDEFGHIJKLMNOPQR")
    raise_step = step(server, "H")
    assert re.search(r"100,?000", raise_step.title)
    assert "清空" in step(server, "G").title
    assert ids.index("G") < ids.index("I") and ids.index("H") < ids.index("I")
    assert step(server, "I").title == "应急系统正式启动"


def test_emergency_server_nightly_preparation_takes_six_hours(plan):
    server = scenario(plan, "outpatient_emergency_server")
    prepare = [s for s in server.steps if s.phase == "prepare"]
    assert [s.id for s in prepare] == list("ABCDE")
    export = step(server, "A").detail
    for word in ["EPMI", "科室字典", "员工主索引", "排班", "药品基本字典", "药房库存", "物价", "医保", "财务发票"]:
        assert word in export
    assert re.search(r"40G.*1 小时", export)
    assert re.search(r"10G.*15 分钟", step(server, "B").detail)
    assert re.search(r"4 小时", step(server, "C").detail)
    whole = step(server, "E")
    assert re.search(r"6 小时", whole.title) and "凌晨 1 点" in whole.title and "早上 7 点" in whole.title


def test_emergency_server_merges_back_with_a_flag_and_reconciles_pharmacy(plan):
    server = scenario(plan, "outpatient_emergency_server")
    assert [s.id for s in server.steps if s.phase == "recover"] == ["P", "Q"]
    assert "应急数据恢复标记" in step(server, "P").detail
    assert "手工发药" in step(server, "Q").title
    assert "住院系统需要等待故障恢复" in step(server, "R").title
    department_steps = {s.id: s.owner for s in server.steps if s.after == ["I"] and s.id in "JKLMNO"}
    assert department_steps == {"J": "registrar", "K": "cashier", "L": "triage_nurse", "M": "doctor",
                                "N": "cashier", "O": "pharmacist"}


def test_ten_duty_cards_for_the_departments_of_section_4_2(plan):
    assert [card.department for card in plan.duty_cards] == [
        "挂号处", "病案室", "收费处", "医生站", "护士分诊", "门诊药房", "检验科", "影像科", "功能检查科", "住院科室"]
    assert all(card.coordinator for card in plan.duty_cards)


def test_cashier_card(plan):
    card = next(c for c in plan.duty_cards if c.department == "收费处")
    assert card.coordinator == "由财务处处长和收费处负责人负责总协调"
    assert "输入当年发票号" in card.duties
    assert "应急系统切换前后收款分开" in card.duties
    assert "对医保患者要求输入医保卡号和单位，普通患者输入姓名" in card.duties
    assert "应急系统切换前后分开的收款" in card.keep_for_recovery
    assert card.forms == ["charge_sheet"]


def test_paper_forms_of_the_cards(plan):
    forms = {card.id: set(card.forms) for card in plan.duty_cards}
    assert forms["registration"] == {"registration_slip"}
    assert forms["doctor_station"] == {"prescription"}
    assert forms["outpatient_pharmacy"] == {"prescription", "dispensing_log"}


def test_desktop_emergency_system_starts_on_three_triggers_and_activates_all_cards(plan):
    desktop = scenario(plan, "desktop_emergency_system")
    assert [t.description for t in desktop.triggers] == [
        "数据库存储设备或其他独立资源故障不可用", "主数据机房发生灾难，所有设备不可用", "医院主干网络瘫痪不可用"]
    assert [s.id for s in desktop.steps] == list("ABCDEFGH")
    assert set(desktop.duty_cards) == {card.id for card in plan.duty_cards}
    assert step(desktop, "H").phase == "recover"


def test_staff_are_told_when_an_emergency_system_starts(plan):
    notices = {n.id: n for n in plan.notices}
    for ident in ("outpatient_emergency_server", "desktop_emergency_system"):
        (notice,) = scenario(plan, ident).notices
        assert notices[notice].audience == "staff"


def test_preparedness_nightly_export_and_daily_price_download(plan):
    measures = {m.id: m for m in plan.preparedness}
    assert "每天夜间" in measures["nightly_export"].schedule or "凌晨" in measures["nightly_export"].schedule
    assert "物价" in measures["price_download"].text and "登录" in measures["price_download"].schedule
    restore = measures["emergency_server_restore"]
    assert "6 小时" in restore.text and "凌晨 1 点" in restore.schedule


def test_both_db_servers_down_is_a_level_three_fault_as_in_the_seed(plan):
    # Seed 003 3.1: both database servers failing is handled in the 三级 section (restart the array and
    # both servers); 二级 (3.2, the outpatient emergency server) starts when that restart fails.
    levels = {level.id: level for level in plan.levels}
    assert scenario(plan, "db_cluster_both_down").level == "level_3"
    assert "两台数据库服务器均不能正常使用" in levels["level_3"].description
    level_2 = levels["level_2"].description
    assert "重启失败" in level_2 and "三级故障的处理方法不能恢复" in level_2
    assert "两台数据库服务器均故障" not in level_2

"""The linter names every problem of a plan file with its line, field and reason."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lifeline.plans.lint import check_file, check_text
from tests.plans.sample import PLAN_YAML, THREE_ERRORS, line_of, planted


def problems_of(text):
    return [(p.line, p.field, p.reason) for p in check_text(text, "plan.yaml")]


def test_the_sample_plan_is_clean():
    assert check_text(PLAN_YAML, "plan.yaml") == []


def test_plan_check_reports_all_three_planted_errors_with_their_lines(write_plan):
    path = write_plan(THREE_ERRORS)
    out = io.StringIO()
    with pytest.raises(CommandError, match="3 problem"):
        call_command("plan", "check", str(path), stdout=out)
    assert out.getvalue().splitlines() == [
        f"{path}:{line_of(THREE_ERRORS, '- id: failover')}: scenarios[0].steps[1].owner: "
        "step 'failover' has no owner",
        f"{path}:{line_of(THREE_ERRORS, 'roles: [tech_leader]')}: scenarios[0].timers[0].action.roles[0]: "
        "unknown role or group 'tech_leader'; did you mean 'tech_lead'?",
        f"{path}:{line_of(THREE_ERRORS, '- id: t30')}: scenarios[0].timers[1].action: timer 't30' has no action",
    ]


def test_plan_check_of_a_clean_file_exits_zero(write_plan):
    out = io.StringIO()
    call_command("plan", "check", str(write_plan(PLAN_YAML)), stdout=out)
    assert "1 file(s) checked, no problems" in out.getvalue()


def test_yaml_syntax_error_names_its_line():
    text = planted(PLAN_YAML, ("systems: [HIS, 电子病历]", "systems: [HIS, 电子病历"))
    [(line, field, reason)] = problems_of(text)
    assert field == "yaml"
    assert line == line_of(text, "version:")  # where the parser finds the list unclosed
    assert "not valid YAML" in reason


def test_schema_errors_are_all_reported_with_lines_alongside_meaning_errors():
    text = planted(
        PLAN_YAML,
        ("        due: 5min", "        due: 5 minutes"),
        ("    rank: 3\n", "    rank: 3\n    colour: red\n"),
        ("    risk: 业务效率下降\n", ""),
        ("    lead: duty_it\n", "    lead: nobody\n"),
    )
    found = problems_of(text)
    assert (line_of(text, "due: 5 minutes"), "scenarios[0].steps[0].due",
            "'5 minutes' is not a duration: write immediate, 90s, 30min, 3h, 1d or 2wd") in found
    [(line, colour)] = [(line, reason) for line, field, reason in found if field == "levels[2].colour"]
    assert line == line_of(text, "colour: red")
    assert colour.startswith("unknown field (not part of the plan schema; check the spelling)")
    assert "known: actions, channels, criteria" in colour  # the fields a level has, none close to colour
    # A missing key is reported on the line of the mapping that lacks it.
    assert (line_of(text, "- id: paper"), "scenarios[1].risk", "Field required") in found
    assert (line_of(text, "lead: nobody"), "levels[2].lead", "unknown role 'nobody'") in [
        (line, field, reason.split(";")[0]) for line, field, reason in found]
    assert len(found) == 4


def test_overlapping_level_criteria_are_reported():
    text = planted(PLAN_YAML, ("users_pct: {lt: 20}", "users_pct: {lt: 30}"))
    assert problems_of(text) == [(line_of(text, "users_pct: {lt: 30}"), "levels[2].criteria",
                                  "criteria of level 'L3' overlap level 'L2': one incident could be at both")]


@pytest.mark.parametrize("l2_criteria, overlaps", [
    ("{scope: [region], users_pct: {gte: 20, lte: 60}}", False),  # another scope than L1's
    ("{scope: [whole, region], users_pct: {gte: 20, lte: 60}}", True),
    ("{users_pct: {gte: 20, lt: 50}}", False),
    ("{users_pct: {gte: 20, lte: 50.5}}", True),  # L1 is gt 50
    ("{description: 二级故障}", False),  # graded by words only: not compared
])
def test_level_overlap_rules(l2_criteria, overlaps):
    text = planted(PLAN_YAML, ("criteria: {users_pct: {gte: 20, lte: 50}}", f"criteria: {l2_criteria}"))
    reported = [field for _line, field, reason in problems_of(text) if "overlap" in reason]
    assert reported == (["levels[1].criteria"] if overlaps else [])


def test_levels_for_different_services_do_not_overlap():
    same_share = planted(PLAN_YAML, ("criteria: {users_pct: {gte: 20, lte: 50}}",
                                     "criteria: {users_pct: {gt: 50}, services: [PACS]}"))
    assert [f for _l, f, r in problems_of(same_share) if "overlap" in r] == ["levels[1].criteria"]
    other_service = planted(same_share, ("criteria: {scope: [whole], users_pct: {gt: 50}}",
                                         "criteria: {scope: [whole], users_pct: {gt: 50}, services: [HIS]}"))
    assert problems_of(other_service) == []


def test_unreachable_branch_and_unknown_answer_target_are_reported():
    text = planted(PLAN_YAML, ("{answer: 否, next: manual}", "{answer: 否, next: manuel}"))
    assert problems_of(text) == [
        (line_of(text, "next: manuel"), "scenarios[0].decision_tree.nodes[0].answers[1].next",
         "unknown node 'manuel'; did you mean 'manual'?"),
        (line_of(text, "- id: manual"), "scenarios[0].decision_tree.nodes[2].id",
         "node 'manual' cannot be reached from start 'q1'"),
    ]


def test_unknown_start_is_reported_once_not_as_every_node_unreachable():
    text = planted(PLAN_YAML, ("start: q1", "start: q0"))
    assert [field for _l, field, _r in problems_of(text)] == ["scenarios[0].decision_tree.start"]


def test_duplicate_ids_are_reported():
    text = planted(
        PLAN_YAML,
        ("    title: 数据库管理员\n    group: tech\n",  # roles and groups share one namespace
         "    title: 数据库管理员\n    group: tech\n  - id: tech\n    title: 技术员\n    group: tech\n"),
        ("  - id: L3\n", "  - id: L2\n"),
        ("      - id: failover\n", "      - id: assess\n"),
        ("      - id: t3h\n", "      - id: t15\n"),
    )
    lines = text.splitlines()

    def nth(line, n):
        return [number for number, text_line in enumerate(lines, 1) if text_line == line][n]

    assert problems_of(text) == [
        (nth("  - id: tech", 1), "roles[4].id",
         f"duplicate role/group id 'tech' (first at line {nth('  - id: tech', 0)})"),
        (nth("  - id: L2", 1), "levels[2].id", f"duplicate level id 'L2' (first at line {nth('  - id: L2', 0)})"),
        (nth("      - id: assess", 1), "scenarios[0].steps[1].id",
         f"duplicate step id 'assess' (first at line {nth('      - id: assess', 0)})"),
        (nth("      - id: t15", 1), "scenarios[0].timers[2].id",
         f"duplicate timer id 't15' (first at line {nth('      - id: t15', 0)})"),
    ]


def test_unknown_references_are_reported():
    text = planted(
        PLAN_YAML,
        ("    level: L1\n    risk:", "    level: L0\n    risk:"),
        ("switch_to: paper", "switch_to: papers"),
        ("duty_cards: [cashier]\n    notices: [patients]", "duty_cards: [pharmacy]\n    notices: [patient]"),
        ("scenario: paper}", "scenario: old_platform}"),
        ("    parent: hq", "    parent: commander"),
    )
    assert sorted((field, reason.split(";")[0]) for _l, field, reason in problems_of(text)) == [
        ("groups[1].parent", "unknown group 'commander'"),
        ("scenarios[0].duty_cards[0]", "unknown duty card 'pharmacy'"),
        ("scenarios[0].level", "unknown level 'L0'"),
        ("scenarios[0].notices[0]", "unknown notice 'patient'"),
        ("scenarios[0].steps[1].switch_to", "unknown scenario 'papers'"),
        ("scenarios[0].timers[2].action.scenario", "unknown scenario 'old_platform'"),
    ]


def test_steps_waiting_for_each_other_are_a_cycle():
    text = planted(PLAN_YAML, ("        owner: duty_it\n        due: 5min\n",
                               "        owner: duty_it\n        due: 5min\n        after: [failover]\n"))
    assert problems_of(text) == [(line_of(text, "after: [failover]"), "scenarios[0].steps[0].after",
                                  "steps wait for each other in a cycle: assess → failover → assess")]


def test_a_key_given_twice_is_reported():
    text = planted(PLAN_YAML, ("    rank: 3\n", "    rank: 3\n    rank: 4\n"))
    assert problems_of(text) == [(line_of(text, "rank: 4"), "levels[2].rank",
                                  f"key given twice (first at line {line_of(text, 'rank: 3')}); "
                                  "only the last one would count")]


def test_missing_file_is_a_problem_not_a_crash(tmp_path):
    [problem] = check_file(tmp_path / "nope.yaml")
    assert problem.field == "file" and "cannot read" in problem.reason


def test_bad_ids_and_a_file_that_is_no_mapping_get_plain_reasons():
    text = planted(PLAN_YAML, ("        owner: duty_it\n", "        owner: 值班员\n"))
    assert problems_of(text)[0] == (
        line_of(text, "owner: 值班员"), "scenarios[0].steps[0].owner",
        "'值班员' is not an id: use letters, digits, _ . or -, starting with a letter or digit")
    assert problems_of("- 预案\n") == [(1, "plan", "a plan file must be a YAML mapping (id: …, name: …, scenarios: …)")]


# --- vendors (承建单位) ------------------------------------------------------------------------

def test_a_role_is_marked_a_vendor_in_the_plan():
    text = planted(PLAN_YAML, ("  - id: dba\n    title: 数据库管理员\n    group: tech\n",
                               "  - id: dba\n    title: 数据库管理员\n    group: tech\n    vendor: true\n"))
    assert problems_of(text) == []


def test_a_vendor_mark_that_is_not_true_or_false_is_named_with_its_line():
    text = planted(PLAN_YAML, ("  - id: dba\n    title: 数据库管理员\n    group: tech\n",
                               "  - id: dba\n    title: 数据库管理员\n    group: tech\n    vendor: 软件公司\n"))
    [(line, field, _reason)] = problems_of(text)
    assert (line, field) == (line_of(text, "vendor: 软件公司"), "roles[3].vendor")


def test_a_vendor_may_lead_neither_a_level_nor_the_command_group():
    text = planted(PLAN_YAML, ("  - id: commander\n    title: 总指挥\n    group: hq\n",
                               "  - id: commander\n    title: 总指挥\n    group: hq\n    vendor: true\n"))
    found = problems_of(text)
    group_lead, level_lead = [n for n, line in enumerate(text.splitlines(), 1) if line == "    lead: commander"]
    assert (group_lead, "groups[0].lead",
            "role 'commander' is a vendor (vendor: true) and may not lead command group 'hq': "
            "make a hospital role the lead and name the vendor in notify") in found
    assert (level_lead, "levels[0].lead",
            "role 'commander' is a vendor (vendor: true) and may not lead level 'L1': "
            "make a hospital role the lead and name the vendor in notify") in found
    assert len(found) == 2

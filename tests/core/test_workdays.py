"""China's working days: `2wd` SLAs across the Spring Festival and an adjusted working Saturday
(调休), the hospital's own file, and a year the calendar does not know."""
import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from lifeline.accounts.roles import Role
from lifeline.core import workdays
from lifeline.incidents import lifecycle
from lifeline.plans import services as plans
from lifeline.plans.schema import deadline_after
from tests.plans.seeds import bundled_file

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def hospital_file(settings, tmp_path):
    """The hospital's workdays file, empty until a test writes it."""
    settings.WORKDAYS_FILE = str(tmp_path / "workdays.yaml")
    return tmp_path / "workdays.yaml"


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def test_the_package_knows_2026_as_the_tests_assume():
    # 2026 Spring Festival: 15-23 February off; Saturdays 14 and 28 February are worked.
    assert chinese_calendar.get_holiday_detail(date(2026, 2, 16)) == (True, "Spring Festival")
    assert chinese_calendar.is_workday(date(2026, 2, 14)) and chinese_calendar.is_workday(date(2026, 2, 28))
    assert not chinese_calendar.is_workday(date(2026, 2, 23))  # a Monday off
    assert workdays.known(2026)


def test_two_working_days_from_the_friday_before_the_spring_festival():
    friday = at(2026, 2, 13, 10)
    # Saturday 14 February is worked (调休): day one; 15-23 February are the holiday; Tuesday 24th: day two.
    assert deadline_after(friday, "2wd") == at(2026, 2, 24, 10)
    assert deadline_after(friday, "1wd") == at(2026, 2, 14, 10)


def test_a_friday_before_an_adjusted_working_saturday_counts_that_saturday():
    friday = at(2026, 2, 27, 16, 30)
    assert deadline_after(friday, "1wd") == at(2026, 2, 28, 16, 30)  # the worked Saturday
    assert deadline_after(friday, "2wd") == at(2026, 3, 2, 16, 30)  # not Tuesday 3 March


@pytest.mark.django_db
def test_an_sla_of_two_working_days_on_an_incident(clock):
    plan_id = plans.load_files([bundled_file("002")])[0].plan_id  # category simple: respond and resolve 2wd
    clock.freeze(at(2026, 2, 13, 10))
    incident = lifecycle.open_incident(plan_id=plan_id, title="检验报告打印格式错位", category_id="simple")
    assert incident.respond_by == incident.resolve_by == at(2026, 2, 24, 10)
    assert all(t.due_at == at(2026, 2, 24, 10) for t in incident.timers.filter(kind="sla_resolve"))

    clock.freeze(at(2026, 2, 27, 10))
    incident = lifecycle.open_incident(plan_id=plan_id, title="报表导出慢", category_id="simple")
    assert incident.resolve_by == at(2026, 3, 2, 10)


def test_a_year_nobody_knows_falls_back_to_monday_to_friday_and_says_so(caplog):
    assert not workdays.known(2099)
    with caplog.at_level(logging.WARNING, logger="lifeline.workdays"):
        assert deadline_after(at(2099, 3, 6, 9), "2wd") == at(2099, 3, 10, 9)  # Friday → Tuesday
    assert "does not know 2099" in caplog.text and "Monday to Friday" in caplog.text
    assert workdays.unknown_years(at(2099, 3, 6, 9)) == [2099]
    with translation.override("en"):
        [problem] = workdays.problems(at(2026, 12, 31), at(2027, 1, 2))
    assert "does not know 2027:" in problem
    [problem] = workdays.problems(at(2026, 12, 31), at(2027, 1, 2))  # the hospital's language
    assert "工作日历不含 2027 年的节假日安排" in problem
    assert workdays.problems(at(2026, 2, 13), at(2026, 2, 24)) == []


def test_the_hospital_adds_a_year_and_its_own_days(hospital_file, caplog):
    hospital_file.write_text(
        "2099:\n  holidays: [2099-03-09..2099-03-10]\n  workdays: [2099-03-08]\n  note: 放假通知\n"
        "2026:\n  holidays: [2026-03-02]  # the hospital's own day off\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="lifeline.workdays"):
        # Sunday 8 March worked, 9-10 March off, Wednesday 11th: day two.
        assert deadline_after(at(2099, 3, 6, 9), "2wd") == at(2099, 3, 11, 9)
    assert caplog.text == "" and workdays.known(2099) and workdays.problems(at(2099, 3, 6)) == []
    # On top of the package: 28 February still worked, 2 March now off.
    assert deadline_after(at(2026, 2, 27, 10), "2wd") == at(2026, 3, 3, 10)
    assert workdays.describe_year(2099)["workdays"] == [date(2099, 3, 8)]


@pytest.mark.parametrize("text, says", [
    ("2099:\n  holidays: [2098-01-01]\n", "2098-01-01 is not in 2099"),
    ("2099:\n  holidays: [soon]\n", "'soon' is not a date"),
    ("2099:\n  holidays: [2099-01-01]\n  workdays: [2099-01-01]\n", "both a holiday and a working day"),
    ("2099:\n  holiday: [2099-01-01]\n", "give holidays, workdays and note only"),
    ("[2099]\n", "expected years as keys"),
])
def test_a_broken_hospital_file_is_not_used_and_says_why(hospital_file, text, says, caplog):
    hospital_file.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="lifeline.workdays"):
        assert not workdays.known(2099)
    assert says in caplog.text
    assert any(says in p for p in workdays.problems())
    with pytest.raises(CommandError, match="not used|is not|both|give|expected"):
        call_command("workdays", "2026")


def test_the_workdays_command_lists_a_year_and_refuses_an_unknown_one(capsys):
    call_command("workdays", "2026")
    out = capsys.readouterr().out
    assert "2026: from chinesecalendar" in out and "2026-02-16" in out and "2026-02-14" in out
    with pytest.raises(CommandError, match="2099"):
        call_command("workdays", "2099")
    assert "2099: UNKNOWN" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_incident_page_warns_when_its_deadlines_cross_an_unknown_year(client, make_user, clock, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    plan_id = plans.load_files([bundled_file("002")])[0].plan_id
    client.force_login(make_user("duty", Role.DUTY))
    clock.freeze(at(2099, 3, 6, 9))
    unknown = lifecycle.open_incident(plan_id=plan_id, title="报表导出慢", category_id="simple")
    page = client.get(f"/incidents/{unknown.pk}/").content.decode()
    assert "workday-warning" in page and "does not know 2099" in page
    clock.freeze(at(2026, 2, 13, 10))
    known = lifecycle.open_incident(plan_id=plan_id, title="打印错位", category_id="simple")
    assert "workday-warning" not in client.get(f"/incidents/{known.pk}/").content.decode()


@pytest.mark.django_db
def test_a_plan_timer_and_a_checklist_step_in_working_days(clock):
    from tests.plans.sample import PLAN_YAML

    text = PLAN_YAML.replace("        after: 3h\n", "        after: 2wd\n").replace("        due: 30min\n",
                                                                                 "        due: 1wd\n")
    plan_id = plans.load_text(text).plan_id
    scenario_id = plans.active_version(plan_id).content.scenarios[0].id
    clock.freeze(at(2026, 2, 13, 10))
    incident = lifecycle.open_incident(plan_id=plan_id, title="HIS 故障", scenario_id=scenario_id)
    timer = incident.timers.get(key=f"{scenario_id}:t3h")
    assert timer.due_at == at(2026, 2, 24, 10)  # across the Spring Festival
    assert incident.checklist.get(step_id="failover").due_at == at(2026, 2, 14, 10)  # the worked Saturday


@pytest.mark.django_db
def test_the_command_dashboard_shows_the_calendar_in_red(client, make_user, clock, settings, hospital_file):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    plan_id = plans.load_files([bundled_file("002")])[0].plan_id
    client.force_login(make_user("duty", Role.DUTY))
    clock.freeze(at(2026, 2, 13, 10))
    lifecycle.open_incident(plan_id=plan_id, title="打印错位", category_id="simple")
    assert "Working-day calendar" not in client.get("/incidents/board/").content.decode()
    clock.freeze(at(2099, 3, 6, 9))
    late = lifecycle.open_incident(plan_id=plan_id, title="报表导出慢", category_id="simple")
    board = client.get("/incidents/board/").content.decode()
    assert "Working-day calendar" in board and "does not know 2099" in board and f"#{late.pk} 报表导出慢" in board
    hospital_file.write_text("2099: [oops]\n", encoding="utf-8")
    assert "working-day file cannot be used" in client.get("/incidents/board/").content.decode()

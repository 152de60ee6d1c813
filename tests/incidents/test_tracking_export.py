"""The tracking table's Excel exports (page and API) against hostile report text."""
import io

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from lifeline.accounts.roles import Role
from lifeline.incidents import intake, lifecycle

pytestmark = pytest.mark.django_db

EXPORTS = ["/incidents/tracking.xlsx", "/api/v1/incidents/tracking.xlsx"]


@pytest.fixture
def duty(client, make_user, t0):
    client.force_login(make_user("duty", Role.DUTY))


def _cells(answer):
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    return {cell.value: cell for row in sheet.iter_rows(min_row=2) for cell in row if isinstance(cell.value, str)}


@pytest.mark.parametrize("url", EXPORTS)
def test_report_text_that_looks_like_a_formula_comes_out_as_text(client, duty, url):
    for text in ['=HYPERLINK("http://evil.example/","click")', "=cmd|' /C calc'!A0"]:
        intake.submit_report(department="收费处", description=text, contact="8021")
    cells = _cells(client.get(url))
    for text in ['=HYPERLINK("http://evil.example/","click")', "=cmd|' /C calc'!A0"]:
        assert (cells[text].data_type, cells[text].quotePrefix) == ("s", True)


@pytest.mark.parametrize("url", EXPORTS)
def test_a_control_character_does_not_break_the_export(client, duty, url):
    intake.submit_report(department="收费处\u0007", description="窗口\u0007白屏", contact="8021")
    cells = _cells(client.get(url))
    assert "窗口白屏" in cells and "收费处" in cells


def test_the_export_has_column_widths_and_the_result_is_what_was_done(client, duty, load_seed):
    load_seed("003")
    fixed = lifecycle.open_incident(plan_id="general_hospital_his", title="门诊挂号系统白屏，挂号窗口无法出号",
                                    reports=[intake.submit_report(department="挂号处", description="白屏",
                                                                  contact="8021").number])
    lifecycle.transition(fixed, "acknowledged")
    lifecycle.transition(fixed, "resolved", note="重启应用服务器 AppServer2 并清理缓存，挂号恢复")
    lifecycle.transition(fixed, "closed")  # closed without a note: the result is still the resolution's
    silent = lifecycle.open_incident(plan_id="general_hospital_his", title="收费处打印机卡纸")
    lifecycle.transition(silent, "acknowledged")
    lifecycle.transition(silent, "resolved")  # no scenario: no open steps to confirm

    answer = client.get("/incidents/tracking.xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    header = [c.value for c in sheet[1]]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[f"#{fixed.pk}"]["处理结果"] == "重启应用服务器 AppServer2 并清理缓存，挂号恢复"
    assert rows[f"#{silent.pk}"]["处理结果"] is None  # no note given: empty, not the move's words
    assert not any("→" in (row["处理结果"] or "") for row in rows.values())

    widths = {get_column_letter(i): sheet.column_dimensions[get_column_letter(i)].width
              for i in range(1, len(header) + 1)}
    problem, time = get_column_letter(header.index("问题") + 1), get_column_letter(header.index("上报/创建时间") + 1)
    assert all(6 <= w <= 50 for w in widths.values()), widths
    assert widths[problem] >= 2 * len("门诊挂号系统白屏，挂号窗口无法出号") and widths[time] >= 19
    assert sheet.freeze_panes == "A2"

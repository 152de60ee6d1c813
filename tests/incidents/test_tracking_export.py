"""The tracking table's Excel exports (page and API) against hostile report text."""
import io

import pytest
from openpyxl import load_workbook

from lifeline.accounts.roles import Role
from lifeline.incidents import intake

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

"""core.spreadsheets: text never becomes a formula, a character Excel cannot hold never breaks a file."""
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lifeline.core.spreadsheets import clean_text, write_xlsx

ATTACKS = ['=HYPERLINK("http://evil.example/","click")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
           "\t=1+1", "\r=1+1"]


def _sheet(content: bytes):
    return load_workbook(io.BytesIO(content)).active


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_like_text_is_a_quote_prefixed_text_cell(text):
    cell = _sheet(write_xlsx("t", ["text"], [[text]]))["A2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_plain_text_error_codes_and_other_values():
    at = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
    sheet = _sheet(write_xlsx("t", ["a", "b", "c", "d", "e", "f", "g"],
                              [["HIS 白屏", "#N/A", 3, Decimal("2.5"), at, date(2026, 1, 2), None]]))
    row = [c for c in sheet[2]]
    assert [c.value for c in row[:4]] == ["HIS 白屏", "#N/A", 3, 2.5]
    assert (row[0].quotePrefix, row[1].data_type) == (False, "s")
    assert row[4].value == datetime(2026, 11, 22, 9, 30)  # the hospital's zone, no tzinfo
    assert row[5].value.date() == date(2026, 1, 2)
    assert row[6].value is None


def test_characters_excel_cannot_hold_are_removed():
    text = "收费\u0007窗口\x00 3\x1b号\ud800\uffff\n第二行\t完"
    assert clean_text(text) == "收费窗口 3号\n第二行\t完"
    assert _sheet(write_xlsx("bad\u0007/title?", ["x"], [[text]]))["A2"].value == "收费窗口 3号\n第二行\t完"
    assert len(clean_text("长" * 40_000)) == 32_767

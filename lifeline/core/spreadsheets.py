"""Every Excel file Lifeline writes goes through here, so that no cell text can hurt its reader.

Cell text comes from people (a report's description, a member's title, an alert's summary):

- **Formula injection.** Text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
  would be a live formula in Excel (`=HYPERLINK("http://…","click")`, `=cmd|' /C calc'!A0`).
  Such text is written as a text cell with Excel's quote prefix (the hidden `'` Excel itself
  puts before text that looks like a formula): Excel shows the text as typed, never evaluates
  it, and keeps it text when the cell is edited. The value is unchanged, so an exported file
  imports back as it was (a phone number `+86…` stays `+86…`). Text that looks like an error
  code (`#N/A`) stays text too.
- **Characters a workbook cannot hold.** Control characters other than tab, line feed and
  carriage return (e.g. `\\u0007` pasted from a terminal), lone surrogates and U+FFFE/U+FFFF
  are removed; text longer than Excel's 32,767 characters per cell is cut there. One bad
  character never breaks an export for everyone.

`write_xlsx(title, header, rows)` writes a one-sheet workbook row by row (write-only: any
number of rows in little memory). `SafeXLSX` is the same writer as a django-import-export
format, for resources and the admin's export. Nothing else in Lifeline should create an
openpyxl Workbook for writing.
"""
import io
import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from import_export.formats.base_formats import XLSX
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's limit for the text of one cell.
MAX_CELL_TEXT = 32_767
# What starts a formula (or a DDE command) when Excel, LibreOffice or a CSV import reads text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What an .xlsx (XML 1.0) cannot hold: C0 controls except \t \n \r, lone surrogates, U+FFFE/F.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A sheet title: at most 31 characters, none of []:*?/\
SHEET_TITLE_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def clean_text(text: str) -> str:
    """The text without the characters a workbook cannot hold, cut to what one cell holds."""
    return UNSAFE_CHARACTERS.sub("", text)[:MAX_CELL_TEXT]


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def safe_value(value):
    """A value a cell can hold: aware datetimes in the hospital's zone (Excel has no zones),
    text cleaned; numbers, dates, booleans and None as they are; anything else as its text."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if hasattr(value, "isoformat"):  # date, time
        return value
    return clean_text(str(value))


def cell(sheet, value) -> WriteOnlyCell:
    """A write-only cell for the value; text is always a text cell (never a formula or an
    error code), quote-prefixed when it looks like a formula."""
    found = WriteOnlyCell(sheet, safe_value(value))
    if isinstance(found.value, str):
        found.data_type = "s"
        if looks_like_formula(found.value):
            found.quotePrefix = True
    return found


def write_xlsx(title: str, header: Iterable, rows: Iterable[Iterable]) -> bytes:
    """A one-sheet .xlsx: the header row, then the rows (any iterable, consumed once)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE_UNSAFE.sub(" ", clean_text(str(title or "Sheet")))[:31] or "Sheet")
    if header:
        sheet.append([cell(sheet, str(label)) for label in header])
    for row in rows:
        sheet.append([cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class SafeXLSX(XLSX):
    """django-import-export's .xlsx format, written by `write_xlsx` (reading is unchanged)."""

    def export_data(self, dataset, **kwargs):
        return write_xlsx(dataset.title or "Sheet", dataset.headers or [], dataset)

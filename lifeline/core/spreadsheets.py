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
number of rows in little memory). Its columns are as wide as the header and the first rows
need (a Chinese character counts two), between COLUMN_MIN and COLUMN_MAX; text longer than its
column wraps. The header row stays in view when scrolling. `write_workbook` writes several
such sheets into one file. `SafeXLSX` is the same writer as a django-import-export
format, for resources and the admin's export. Nothing else in Lifeline should create an
openpyxl Workbook for writing.
"""
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from import_export.formats.base_formats import XLSX
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's limit for the text of one cell.
MAX_CELL_TEXT = 32_767
# What starts a formula (or a DDE command) when Excel, LibreOffice or a CSV import reads text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What an .xlsx (XML 1.0) cannot hold: C0 controls except \t \n \r, lone surrogates, U+FFFE/F.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A sheet title: at most 31 characters, none of []:*?/\
SHEET_TITLE_UNSAFE = re.compile(r"[\[\]:*?/\\]")
# Column widths, in Excel's character widths: narrow columns still show their header, a long
# text wraps in a column no wider than a third of a screen; measured on the first rows.
COLUMN_MIN, COLUMN_MAX, COLUMN_PADDING = 6, 50, 2
WIDTH_SAMPLE = 500
DATETIME_WIDTH = 19  # 2026-11-22 09:00:00
BOLD = Font(bold=True)
WRAPPED = Alignment(wrap_text=True, vertical="top")


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


def cell(sheet, value, width: float | None = None, bold=False) -> WriteOnlyCell:
    """A write-only cell for the value; text is always a text cell (never a formula or an
    error code), quote-prefixed when it looks like a formula, wrapped when wider than `width`."""
    found = WriteOnlyCell(sheet, safe_value(value))
    if bold:
        found.font = BOLD
    if isinstance(found.value, str):
        found.data_type = "s"
        if looks_like_formula(found.value):
            found.quotePrefix = True
        if width and ("\n" in found.value or text_width(found.value) + COLUMN_PADDING > width):
            found.alignment = WRAPPED
    return found


def text_width(value) -> int:
    """How many character widths a value takes in a cell: its longest line, a wide (CJK)
    character counting two; a date and time as Excel shows them."""
    value = safe_value(value)
    if isinstance(value, datetime):
        return DATETIME_WIDTH
    if value is None:
        return 0
    lines = str(value).split("\n")
    return max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) for line in lines)


def column_widths(header: list, rows: list[list]) -> list[float]:
    """Each column's width from its header and the sampled rows, padded, within the bounds."""
    found = []
    for values in itertools.zip_longest(header, *rows):
        widest = max((text_width(v) for v in values), default=0)
        found.append(min(max(widest + COLUMN_PADDING, COLUMN_MIN), COLUMN_MAX))
    return found


def write_xlsx(title: str, header: Iterable, rows: Iterable[Iterable]) -> bytes:
    """A one-sheet .xlsx: the header row, then the rows (any iterable, consumed once). Column
    widths are measured on the first WIDTH_SAMPLE rows, so any number of rows still streams."""
    return write_workbook([(title, header, rows)])


def write_workbook(sheets: Iterable[tuple[str, Iterable, Iterable[Iterable]]]) -> bytes:
    """An .xlsx of several sheets, each (title, header, rows) written as write_xlsx writes one."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        _write_sheet(book, title, header, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_sheet(book: Workbook, title: str, header: Iterable, rows: Iterable[Iterable]):
    sheet = book.create_sheet(SHEET_TITLE_UNSAFE.sub(" ", clean_text(str(title or "Sheet")))[:31] or "Sheet")
    header = [str(label) for label in header or []]
    rows = iter(rows)
    sample = [list(row) for row in itertools.islice(rows, WIDTH_SAMPLE)]
    widths = column_widths(header, sample)
    for index, width in enumerate(widths, start=1):  # a write-only sheet takes them before any row
        sheet.column_dimensions[get_column_letter(index)].width = width
    if header:
        sheet.freeze_panes = "A2"
        sheet.append([cell(sheet, label, bold=True) for label in header])
    for row in itertools.chain(sample, rows):
        sheet.append([cell(sheet, value, width) for value, width in itertools.zip_longest(row, widths)])


class SafeXLSX(XLSX):
    """django-import-export's .xlsx format, written by `write_xlsx` (reading is unchanged)."""

    def export_data(self, dataset, **kwargs):
        return write_xlsx(dataset.title or "Sheet", dataset.headers or [], dataset)

"""The reconciliation as Excel (a sheet per table, through core.spreadsheets) and as PDF
(WeasyPrint, the shared A4 frame core/print/report.html, CJK font)."""
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from lifeline.core.documents import FONT_STACK
from lifeline.core.spreadsheets import XLSX_TYPE, write_workbook
from lifeline.reconciliation import services
from lifeline.reconciliation.report import Report

CONTENT_TYPES = {"xlsx": XLSX_TYPE, "pdf": "application/pdf"}


def render(report: Report, fmt: str) -> bytes:
    renderers = {"xlsx": _xlsx, "pdf": _pdf}
    if fmt not in renderers:
        raise ValueError(f"fmt must be one of {', '.join(renderers)}, not {fmt!r}")
    return renderers[fmt](report)


def _facts(report: Report) -> list[tuple[str, str]]:
    rec = report.rec
    facts = [(_("Downtime"), report.period), (_("Printed"), report.printed)]
    if rec.signed_off_at:
        facts.append((_("Signed off"), f"{services.local(rec.signed_off_at)} "
                                       f"{rec.signed_off_by.get_username() if rec.signed_off_by_id else ''}".strip()))
    return facts


def _xlsx(report: Report) -> bytes:
    summary = (_("Summary"), [_("Item"), _("Value")], _facts(report) + services.summary_pairs(report.figures.summary()))
    return write_workbook([summary, *((t.title, t.header, t.rows) for t in report.tables)])


def _pdf(report: Report) -> bytes:
    from weasyprint import HTML

    html = render_to_string("reconciliation/print/report.html", {
        "r": report, "facts": _facts(report), "summary": services.summary_pairs(report.figures.summary()),
        "font_stack": FONT_STACK})
    return HTML(string=html).write_pdf()

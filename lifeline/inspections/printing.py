"""The quarterly inspection report as PDF (WeasyPrint, its charts as inline SVG) and DOCX
(python-docx, its charts drawn as PNG with Pillow: Word shows no SVG of ours)."""
import io

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from lifeline.core import charts
from lifeline.core.documents import FONT_STACK, docx_fonts, docx_heading, docx_page_number, docx_table
from lifeline.inspections.report import Report

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# The CJK font Pillow draws chart labels with (the PDFs' first choice); Pillow's own font if absent.
CHART_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def render(report: Report, fmt: str) -> bytes:
    renderers = {"pdf": _pdf, "docx": _docx}
    if fmt not in renderers:
        raise ValueError(f"fmt must be one of {', '.join(renderers)}, not {fmt!r}")
    return renderers[fmt](report)


def _pdf(report: Report) -> bytes:
    from weasyprint import HTML

    html = render_to_string("inspections/print/report.html", {"r": report, "font_stack": FONT_STACK})
    return HTML(string=html).write_pdf()


def headers() -> dict:
    return {"scope": [_("Checklist"), _("Frequency"), _("Items"), _("Rounds"), _("Done"), _("Overdue"),
                      _("Inspected by")],
            "results": [_("Checklist"), _("Item"), _("Kind"), _("Passed"), _("Failed"), _("Last reading")],
            "failures": [_("Day"), _("Checklist"), _("Item"), _("Value"), _("Note")]}


def _docx(report: Report) -> bytes:
    from docx import Document
    from docx.shared import Mm

    h = headers()
    doc = Document()
    docx_fonts(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.header.paragraphs[0].text = report.title
    docx_page_number(section.footer.paragraphs[0])
    doc.add_heading(report.title, 0)
    doc.add_paragraph(f"{report.start:%Y-%m-%d} – {report.end:%Y-%m-%d} · {_('printed')} {report.printed}")
    docx_heading(doc, _("1. Scope"), 1)
    docx_table(doc, h["scope"], [[row[k] for k in ("checklist", "frequency", "items", "rounds", "done", "missed", "by")]
                                 for row in report.scope])
    docx_heading(doc, _("2. Results"), 1)
    docx_table(doc, h["results"], [[row[k] for k in ("checklist", "item", "kind", "passed", "failed", "last")]
                                   for row in report.results])
    for chart in report.figures:
        doc.add_paragraph(chart.title)
        doc.add_picture(io.BytesIO(chart_png(chart)), width=Mm(160))
    if report.failures:
        docx_heading(doc, _("Failed items"), 2)
        docx_table(doc, h["failures"], [[row[k] for k in ("day", "checklist", "item", "value", "note")]
                                        for row in report.failures])
    docx_heading(doc, _("3. Recommendations"), 1)
    for text in report.recommendations:
        doc.add_paragraph(text, style="List Number")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def chart_png(chart: charts.Chart, scale: int = 2) -> bytes:
    """The chart's geometry (core.charts) drawn with Pillow, at `scale` times its size."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.truetype(CHART_FONT, 11 * scale)
    except OSError:
        font = ImageFont.load_default()
    legend_height = 18
    image = Image.new("RGB", (chart.width * scale, (chart.height + legend_height) * scale), "white")
    draw = ImageDraw.Draw(image)

    def at(*xy):
        return [v * scale for v in xy]

    for y, label in chart.y_ticks:
        draw.line(at(chart.left, y, chart.right, y), fill="#ddddee", width=scale)
        draw.text(at(chart.left - 4, y), label, fill="black", font=font, anchor="rm")
    for bar in chart.bars:
        draw.rectangle(at(bar.x, bar.y, bar.x + bar.width, bar.y + bar.height), fill=bar.colour)
    for x, label in chart.x_labels:
        draw.text(at(x, chart.bottom + 12), label, fill="black", font=font, anchor="mm")
    x = chart.left
    for colour, name in chart.legend:
        draw.rectangle(at(x, chart.height + 4, x + 10, chart.height + 14), fill=colour)
        draw.text(at(x + 14, chart.height + 9), name, fill="black", font=font, anchor="lm")
        x += 24 + len(name) * 12
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()

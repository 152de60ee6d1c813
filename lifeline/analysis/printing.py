"""The fault analysis report as PDF (WeasyPrint) and DOCX (python-docx), both from services.build.

The house style, fonts and Word helpers are the plan binder's (lifeline.plans.printing).
"""
import io

from django.template.loader import render_to_string

from lifeline.analysis.services import Analysis
from lifeline.core.documents import FONT_STACK, docx_fonts, docx_heading, docx_page_number, docx_table

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def render(analysis: Analysis, fmt: str) -> bytes:
    renderers = {"pdf": _pdf, "docx": _docx}
    if fmt not in renderers:
        raise ValueError(f"fmt must be one of {', '.join(renderers)}, not {fmt!r}")
    return renderers[fmt](analysis)


def _pdf(analysis: Analysis) -> bytes:
    from weasyprint import HTML

    html = render_to_string("analysis/print/analysis.html", {"a": analysis, "font_stack": FONT_STACK})
    return HTML(string=html).write_pdf()


def _docx(a: Analysis) -> bytes:
    from docx import Document
    from docx.shared import Mm

    t = a.t
    doc = Document()
    docx_fonts(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(18))
    section.header.paragraphs[0].text = f"{t['document']} · {a.title}"
    docx_page_number(section.footer.paragraphs[0])

    doc.add_paragraph(t["document"])
    doc.add_heading(a.title, 0)
    doc.add_paragraph(a.printed)
    docx_heading(doc, t["summary"], 1)
    _pairs(doc, a.summary, t)
    docx_heading(doc, t["timeline"], 1)
    docx_table(doc, [t["at"], t["kind"], t["what"], t["by"]],
           [(e["at"], e["kind"], e["text"], e["by"]) for e in a.timeline], widths=(30, 22, 100, 22))
    docx_heading(doc, t["impact"], 1)
    _pairs(doc, a.impact, t)
    docx_heading(doc, t["cause"], 1)
    _text(doc, a.cause, t)
    docx_heading(doc, t["actions"], 1)
    if a.checklist:
        docx_heading(doc, t["checklist"], 2)
        docx_table(doc, [t["step"], t["status"], t["reason"], t["at"], t["by"]],
               [(i["title"], i["status"], i["reason"], i["at"], i["by"]) for i in a.checklist])
    if a.decisions:
        docx_heading(doc, t["decisions"], 2)
        for question, answer in a.decisions:
            doc.add_paragraph(f"{question} → {answer}")
    if a.timers:
        docx_heading(doc, t["timers"], 2)
        docx_table(doc, [t["at"], t["kind"], t["what"]], [(tm["at"], tm["kind"], tm["text"]) for tm in a.timers])
    if a.duty_cards:
        docx_heading(doc, t["duty_cards"], 2)
        docx_table(doc, [t["department"], t["activated"], t["acknowledged"]],
               [(c["department"], c["activated"], c["acknowledged"]) for c in a.duty_cards])
    for extra in a.sections:
        docx_heading(doc, extra.heading, 1)
        _pairs(doc, extra.pairs, t)
    for heading, text in a.texts:
        docx_heading(doc, heading, 1)
        _text(doc, text, t)
    docx_heading(doc, t["follow_ups"], 1)
    if a.follow_ups:
        docx_table(doc, [t["follow_ups"], t["owner"], t["due"], t["done"]],
               [(f["title"], f["owner"], f["due"], f["done"]) for f in a.follow_ups])
    else:
        doc.add_paragraph(t["none"])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _pairs(doc, pairs, t):
    for label, value in pairs:
        doc.add_paragraph(t["pair"] % {"label": label, "value": value})


def _text(doc, text, t):
    for line in (text or t["not_written"]).splitlines():
        doc.add_paragraph(line)

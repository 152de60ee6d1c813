"""The drill report as PDF (WeasyPrint, CJK font, the year chart as inline SVG) and DOCX
(python-docx, the chart as PNG drawn by the inspections report's Pillow renderer)."""
import io

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.core.documents import FONT_STACK, docx_fonts, docx_heading, docx_page_number, docx_table
from lifeline.drills.report import Report, verdict
from lifeline.inspections.printing import CONTENT_TYPES, chart_png

__all__ = ["CONTENT_TYPES", "render"]


def render(report: Report, fmt: str) -> bytes:
    renderers = {"pdf": _pdf, "docx": _docx}
    if fmt not in renderers:
        raise ValueError(f"fmt must be one of {', '.join(renderers)}, not {fmt!r}")
    return renderers[fmt](report)


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S") if at else "—"


def milestone_rows(report: Report) -> list[list[str]]:
    unit = _("min")
    return [[r.label, "—" if r.target is None else f"≤ {r.target} {unit}", _local(r.at),
             "—" if r.minutes is None else f"{r.minutes:g} {unit}", verdict(r, report.drill), r.source]
            for r in report.milestones]


def finding_rows(report: Report) -> list[list[str]]:
    return [[f.title, f.fix, f.owner, f"{f.deadline:%Y-%m-%d}", f.get_status_display()] for f in report.findings]


def headers() -> dict:
    return {"milestones": [_("Milestone"), _("Target"), _("Reached at"), _("Time"), _("Against target"), _("Source")],
            "findings": [_("Finding"), _("Fix"), _("Owner"), _("Deadline"), _("Status")],
            "timeline": [_("Time"), _("Event")]}


def _pdf(report: Report) -> bytes:
    from weasyprint import HTML

    html = render_to_string("drills/print/report.html", {"font_stack": FONT_STACK, **context(report)})
    return HTML(string=html).write_pdf()


def context(report: Report) -> dict:
    """What drills/_report.html shows, on the page and in the PDF."""
    missed = [r.met is False for r in report.milestones]
    return {"r": report, "h": headers(), "milestones": list(zip(milestone_rows(report), missed, strict=True)),
            "findings": finding_rows(report), "timeline": [(_local(at), text) for at, text in report.timeline]}


def _docx(report: Report) -> bytes:
    from docx import Document
    from docx.shared import Mm

    h, drill = headers(), report.drill
    doc = Document()
    docx_fonts(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.header.paragraphs[0].text = report.title
    docx_page_number(section.footer.paragraphs[0])
    doc.add_heading(report.title, 0)
    doc.add_paragraph(f"{_('Scenario')}: {report.scenario}")
    doc.add_paragraph(f"{_('Started')}: {_local(drill.started_at)} · {_('Ended')}: {_local(drill.ended_at)}")
    doc.add_paragraph(f"{_('Participants')}: {drill.participants or '—'}")
    doc.add_paragraph(f"{_('Observers')}: {drill.observers or '—'}")
    stations = "、".join(map(str, drill.stations.all()))
    if stations:
        doc.add_paragraph(f"{_('Workstations in drill mode')}: {stations}")
    docx_heading(doc, _("1. Milestones against targets"), 1)
    docx_table(doc, h["milestones"], milestone_rows(report))
    doc.add_paragraph(report.year_chart.title)
    doc.add_picture(io.BytesIO(chart_png(report.year_chart)), width=Mm(160))
    docx_heading(doc, _("2. Timeline"), 1)
    docx_table(doc, h["timeline"], [[_local(at), text] for at, text in report.timeline], widths=[40, 130])
    docx_heading(doc, _("3. Findings"), 1)
    docx_table(doc, h["findings"], finding_rows(report))
    docx_heading(doc, _("4. Sign-off"), 1)
    doc.add_paragraph(_sign_off(report))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _sign_off(report: Report) -> str:
    drill = report.drill
    if not drill.signed_at:
        return _("Not signed off yet")
    who = drill.signed_by.get_full_name() or drill.signed_by.username if drill.signed_by else "—"
    return f"{who} · {_local(drill.signed_at)} · {drill.sign_off_note}".rstrip(" ·")

"""The fault analysis report built from an incident run through the incident services."""
import io
from datetime import timedelta

import pytest
from django.utils import translation
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from lifeline.analysis import printing, services
from lifeline.analysis.models import FaultAnalysis
from lifeline.core.documents import DOCX_EAST_ASIAN_FONT
from lifeline.core.errors import Refused
from lifeline.incidents import checklist, firing, intake, lifecycle
from lifeline.incidents.models import Timer
from tests.analysis.conftest import TITLE

pytestmark = pytest.mark.django_db


def test_impact_duration_and_sla_figures(resolved, t0):
    facts = services.build(resolved).figures
    assert facts.reports == 3 and facts.people_affected == 6
    assert facts.departments == ["检验科", "生殖医学中心"]
    assert facts.time_to_acknowledge == timedelta(minutes=30)
    assert facts.duration == facts.time_to_resolve == timedelta(hours=26)
    assert facts.respond_by == t0 + timedelta(hours=2) and facts.acknowledged_in_time is True
    assert facts.resolve_by == t0 + timedelta(hours=24) and facts.resolved_in_time is False


def test_timeline_actions_and_timers_in_order(resolved):
    prepared = services.build(resolved)
    texts = [e["text"] for e in prepared.timeline]
    assert "一般故障" in texts[0]  # opened at the general level
    assert [e["at"] for e in prepared.timeline] == sorted(e["at"] for e in prepared.timeline)
    assert len(texts) == resolved.timeline.count()
    skipped = [i for i in prepared.checklist if i["reason"]]
    assert [i["reason"] for i in skipped] == ["厂商远程处理，无需重装系统"]
    fired = [tm["text"] for tm in prepared.timers]
    assert "系统故障24小时内未恢复运行，向医院及项目组报告势态进程。" in fired
    assert prepared.timers[0]["at"] == "2026-11-23 09:00"


def test_the_analysis_is_prefilled_from_the_record(resolved):
    analysis = services.analysis_of(resolved)
    assert analysis.pk is None  # nothing stored until someone saves it
    with translation.override("en"):
        suggested = services.suggest(resolved)
    assert "Acknowledged within the response deadline (30 min)." in suggested["went_well"]
    assert "Resolution deadline missed: resolved after 1 d 2 h." in suggested["went_badly"]
    assert "Step skipped: " in suggested["went_badly"] and "厂商远程处理" in suggested["went_badly"]
    deadline = resolved.timers.get(kind=Timer.Kind.SLA_RESOLVE)
    assert deadline.status == "fired" and f"Timer fired: {deadline.text}" in suggested["went_badly"]


def test_saving_keeps_what_people_wrote(resolved, make_user):
    user = make_user("duty")
    analysis = services.save_analysis(resolved, user, cause="应用服务器操作系统损坏", lessons="每季度巡检")
    assert FaultAnalysis.objects.get(pk=analysis.pk).cause == "应用服务器操作系统损坏"
    assert analysis.went_badly  # the prefill stays where nobody wrote
    prepared = services.build(resolved)
    assert prepared.cause == "应用服务器操作系统损坏"
    assert (prepared.t["lessons"], "每季度巡检") in prepared.texts


def test_an_open_incident_is_not_analysed_yet(load_seed, t0):
    incident = lifecycle.open_incident(plan_id=load_seed("002"), title=TITLE, level_id="general")
    with pytest.raises(Refused) as caught:
        services.save_analysis(incident, cause="x")
    assert caught.value.field == "incident"
    assert not FaultAnalysis.objects.exists()


def test_a_cause_too_long_is_refused(resolved):
    with pytest.raises(Refused) as caught:
        services.save_analysis(resolved, cause="x" * 10_001)
    assert caught.value.field == "cause"
    assert not FaultAnalysis.objects.exists()


def test_pdf_has_the_section_titles_and_the_incident(resolved):
    prepared = services.build(resolved)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(printing.render(prepared, "pdf"))).pages)
    for key in ("document", "summary", "timeline", "impact", "cause", "actions", "went_well", "went_badly",
                "follow_ups"):
        assert prepared.t[key] in text
    assert TITLE in text
    assert "生殖医学中心" in text and "厂商远程处理，无需重装系统" in text


def test_docx_opens_with_headings(resolved):
    prepared = services.build(resolved)
    doc = Document(io.BytesIO(printing.render(prepared, "docx")))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:5] == [prepared.t[k] for k in ("summary", "timeline", "impact", "cause", "actions")]
    assert prepared.t["follow_ups"] in headings
    assert any(p.text == TITLE for p in doc.paragraphs if p.style.name == "Title")
    fonts = doc.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == DOCX_EAST_ASIAN_FONT  # Word shows the Chinese in a Chinese font
    cells = {cell.text for table in doc.tables for row in table.rows for cell in row.cells}
    assert "厂商远程处理，无需重装系统" in cells


def test_seed_004_whole_hospital_failure_is_reported_in_order(load_seed, t0, clock):
    """Report → class 1 incident → T+30 min stand-alone charging → T+3 h wards manual → resolved."""
    report = intake.submit_report(department="Outpatient charging", description="HIS down", contact="8021")
    incident = lifecycle.open_incident(plan_id=load_seed("004"), title="Whole-hospital HIS down", scope="whole",
                                       reports=[report.number], scenario_id="overall_fault")
    clock.advance(minutes=5)
    lifecycle.transition(incident, "acknowledged")
    checklist.tick(incident, incident.checklist.get(step_id="report_leaders").pk)
    for minutes in (25, 150):  # to T+30 min, then T+3 h
        clock.advance(minutes=minutes)
        firing.fire_due_timers(clock.now(), "test-worker")
    clock.advance(minutes=30)
    lifecycle.transition(incident, "resolved", confirmed=True)

    built = services.build(incident)
    assert built.figures.duration == timedelta(hours=3, minutes=30)
    assert built.figures.departments == ["Outpatient charging"]
    assert dict(built.summary)[built.t["level"]] == "Class 1 fault (whole hospital)"
    texts = [e["text"] for e in built.timeline]
    order = [next(n for n, text in enumerate(texts) if needle in text) for needle in (
        report.number, "Step done: Report to the hospital leaders immediately",
        "Outpatient charging enters the stand-alone operation mode.",
        "switch to manual operation", "→ resolved")]
    assert order == sorted(order)
    assert [(tm["at"], tm["text"][:30]) for tm in built.timers] == [
        ("2026-11-22 09:30", "Outpatient charging enters the"), ("2026-11-22 09:30", "The outpatient charging duty c"),
        ("2026-11-22 12:00", "Inpatient billing, pharmacy, n"), ("2026-11-22 12:00", "The duty cards of the departme"),
        ("2026-11-22 12:00", "Still not resolved: reminder 1")]


def test_a_drill_is_marked_on_the_analysis(load_seed, t0):
    incident = lifecycle.open_incident(plan_id=load_seed("004"), title="HIS 停机演练", scope="whole", is_drill=True)
    built = services.build(incident)
    assert built.title == "【演练】HIS 停机演练"
    assert dict(built.summary)[built.t["drill"]] == built.t["yes"]

"""Issue 18's done-when: a drill of seed 001's network-outage scenario runs on an injected clock
(jumped, never slept) and produces its report with each milestone against its target, in the
PDF's text and in the DOCX."""
import io

import pytest
from docx import Document
from pypdf import PdfReader

from lifeline.analysis.statistics import compute as statistics
from lifeline.drills import printing, report, services
from lifeline.drills.models import Drill, Finding, Milestone, MilestoneRecord
from lifeline.incidents import checklist, lifecycle
from lifeline.incidents.models import Incident

pytestmark = pytest.mark.django_db


def run_the_drill(drill, morning, people):
    """Seed 001's network outage: found in 1 min, acknowledged at 3, the backup line at 7
    (target 5: missed by 2), core business back at 26 (target 30)."""
    it = people["zhangwei"]
    drill = services.start(drill, it)
    incident = drill.incident
    morning.advance(minutes=1)
    checklist.tick(incident, incident.checklist.get(step_id="identify").pk, it)
    morning.advance(minutes=2)
    lifecycle.transition(incident, Incident.Status.ACKNOWLEDGED, it)
    morning.advance(minutes=4)
    checklist.tick(incident, incident.checklist.get(step_id="backup_line").pk, it)
    morning.advance(minutes=19)
    lifecycle.transition(incident, Incident.Status.RESOLVED, it, confirmed=True)
    morning.advance(minutes=4)
    services.add_finding(drill, title="预案中备用接口的IP地址写错", fix="修正预案中的备用接口地址",
                         owner="技术组组长", deadline=morning.now().date())
    return services.end(drill, it)


def test_the_targets_default_from_the_plans_scenario(drill):
    # identify 1 min, the backup line 5 min (seed 001), 30 min core business; acknowledging given.
    targets = [drill.target(m) for m in Milestone.values]
    assert targets == [1, 5, 5, 30]


def test_a_network_outage_drill_measures_each_milestone_against_its_target(drill, morning, people):
    drill = run_the_drill(drill, morning, people)
    assert drill.incident.is_drill and drill.status == Drill.Status.ENDED
    rows = {r.milestone: r for r in report.build(drill).milestones}
    assert [(rows[m].minutes, rows[m].met) for m in Milestone.values] == [
        (1, True), (3, True), (7, False), (26, True)]
    assert rows["emergency"].missed_by == 2
    assert set(MilestoneRecord.objects.values_list("source", flat=True)) == {"incident"}


def test_the_report_pdf_and_docx_show_each_milestone_against_its_target(drill, morning, people):
    drill = services.sign_off(run_the_drill(drill, morning, people), people["liqiang"], "同意，限期整改")
    built = report.build(drill)
    pdf = "".join(page.extract_text() for page in PdfReader(io.BytesIO(printing.render(built, "pdf"))).pages)
    docx = Document(io.BytesIO(printing.render(built, "docx")))
    cells = [[c.text for c in row.cells] for t in docx.tables for row in t.rows]
    text = "\n".join(p.text for p in docx.paragraphs)
    for words in ("网络中断", "预案中备用接口的IP地址写错", "同意，限期整改"):
        assert words in pdf.replace("\n", "") and (words in text or any(words in c for row in cells for c in row))
    assert ["发现故障", "≤ 1 分钟", "2026-12-08 09:01:00", "1 分钟", "达标", "来自事件"] in cells
    assert ["切换到应急模式", "≤ 5 分钟", "2026-12-08 09:07:00", "7 分钟", "超出目标 2 分钟", "来自事件"] in cells
    assert ["核心业务恢复", "≤ 30 分钟", "2026-12-08 09:26:00", "26 分钟", "达标", "来自事件"] in cells
    for line in ("超出目标 2 分钟", "≤ 30 分钟", "26 分钟", "演练时间统计"):
        assert line in pdf


def test_a_drill_is_left_out_of_the_statistics(drill, morning, people):
    drill = run_the_drill(drill, morning, people)
    assert statistics().drills_excluded == 1 and not Incident.objects.real().filter(pk=drill.incident_id).exists()


def test_a_button_records_what_the_system_cannot_see_once(drill, morning, people):
    drill = services.start(drill, people["zhangwei"])
    morning.advance(minutes=2)
    services.record_milestone(drill, Milestone.DETECT, people["zhangwei"])
    with pytest.raises(services.Refused) as twice:
        services.record_milestone(drill, Milestone.DETECT, people["zhangwei"])
    assert twice.value.field == "milestone" and twice.value.status == 409
    with pytest.raises(services.Refused) as unknown:
        services.record_milestone(drill, "coffee", people["zhangwei"])
    assert unknown.value.field == "milestone"
    assert MilestoneRecord.objects.get().source == "button"


def test_overdue_findings(drill, morning):
    finding = services.add_finding(drill, title="备用接口地址写错", owner="技术组", deadline=morning.now().date())
    morning.advance(days=1)
    assert finding.is_overdue(morning.now().date())
    services.set_finding_status(finding, Finding.Status.DONE)
    assert not finding.is_overdue(morning.now().date()) and finding.done_at == morning.now()

"""The quarterly report: scope, results and recommendations from the quarter's rounds; a quarter
written wrongly is refused naming it (on the page a message, never a 500)."""
import io

import pytest
from docx import Document
from pypdf import PdfReader

from lifeline.core.errors import Refused
from lifeline.inspections import report, services

pytestmark = pytest.mark.django_db


def test_the_report_counts_rounds_results_and_recommends_what_failed(morning, daily, it):
    manual = {i.title: i for i in daily.items.filter(kind="manual")}
    services.complete(services.current_rounds()[0], it, {
        manual["杀毒软件已更新"].pk: services.Answer(True),
        manual["机房温度"].pk: services.Answer(False, 29, "空调停机"),
        manual["消防设施"].pk: services.Answer(True)})
    built = report.build("2026Q4")
    assert built.title == "2026 年第 4 季度巡检报告" and (built.start.isoformat(), built.end.isoformat()) == (
        "2026-10-01", "2026-12-31")
    [scope] = built.scope
    assert (scope["rounds"], scope["done"], scope["missed"], scope["by"]) == (1, 1, 0, "张伟")
    results = {row["item"]: row for row in built.results}
    assert results["机房温度"]["failed"] == 1 and results["机房温度"]["last"] == "29 °C"
    assert results["PACS 接口状态"]["failed"] == 1 and results["HIS 数据库状态"]["passed"] == 1
    assert any("机房温度" in text for text in built.recommendations)
    assert [len(chart.bars) for chart in built.figures] == [2, 2]


@pytest.mark.parametrize("quarter", ["2026Q5", "Q4", "2026-10", "1999Q1"])
def test_a_quarter_written_wrongly_is_refused(quarter):
    with pytest.raises(Refused) as refused:
        report.parse_quarter(quarter)
    assert refused.value.field == "quarter"


def test_downloads_and_a_bad_quarter_on_the_page(morning, daily, it_client):
    pdf = it_client.get("/inspections/report.pdf?quarter=2026Q4")
    assert pdf["Content-Type"] == "application/pdf"
    assert "一、巡检范围" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    docx = Document(io.BytesIO(it_client.get("/inspections/report.docx").content))
    assert docx.paragraphs[0].text == "2026 年第 4 季度巡检报告"
    page = it_client.get("/inspections/report/?quarter=nonsense")
    assert page.status_code == 200 and "请按 2026Q4 的格式填写季度" in page.content.decode()
    bad = it_client.get("/inspections/report.pdf?quarter=nonsense", follow=True)
    assert "请按 2026Q4 的格式填写季度" in bad.content.decode()

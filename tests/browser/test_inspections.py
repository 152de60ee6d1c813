"""Issue 17's done-when in a real headless Chromium: IT on duty does the machine room's daily
inspection (two items read from probes, three by hand) on a 390 px phone, a wrong answer is
refused under its field and changes nothing, and the completed round is in the quarterly report's
PDF and DOCX."""
import io

import pytest
from docx import Document
from pypdf import PdfReader

from lifeline.inspections.models import Result, Round
from tests.inspections.conftest import daily, it, morning, probes  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_a_daily_inspection_is_completed_on_a_phone_and_appears_in_the_quarterly_report(
        page, live_server, login, morning, daily, it):
    manual = {item.title: item for item in daily.items.filter(kind="manual")}
    assert len(manual) == 3 and daily.items.filter(kind="automatic").count() == 2
    page.set_viewport_size(PHONE)
    login(page, "zhangwei", next_path="/inspections/")
    with page.expect_navigation():
        page.locator("ul.rounds a", has_text="机房日常巡检").click()
    checks = page.locator("ul.checks").inner_text()
    assert "HIS 数据库状态" in checks and "PACS 接口状态" in checks and "由 Lifeline 自动填写" in checks
    assert page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]") == [390, 390]
    pass_button = page.locator(f"label:has(> input[name='item-{manual['杀毒软件已更新'].pk}-passed'][value=pass])")
    assert pass_button.bounding_box()["height"] >= 44  # a thumb in the machine room, not a mouse

    for item in manual.values():
        page.check(f"input[name='item-{item.pk}-passed'][value=pass]")
    temperature = f"input[name='item-{manual['机房温度'].pk}-value']"
    page.fill(temperature, "31")
    with page.expect_navigation():
        page.click(".round-form button[type=submit]")
    error = page.locator(".field-error", has=page.locator(temperature)).inner_text()
    assert "超出合格范围 18–27 °C" in error
    assert Round.objects.get().completed_at is None and not Result.objects.exists()

    page.fill(temperature, "23")
    page.fill(f"input[name='item-{manual['消防设施'].pk}-note']", "灭火器压力正常")
    with page.expect_navigation():
        page.click(".round-form button[type=submit]")
    assert page.url.endswith("/inspections/")
    assert "巡检已完成" in page.locator(".messages").inner_text()
    assert "张伟" in page.locator("ul.rounds li.done").inner_text()
    round_ = Round.objects.get()
    assert round_.completed_by == it and Result.objects.filter(round=round_).count() == 5

    pdf = page.request.get(f"{live_server.url}/inspections/report.pdf?quarter=2026Q4")
    assert pdf.status == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    for words in ("2026 年第 4 季度巡检报告", "机房日常巡检", "PACS 接口状态", "23 °C", "张伟", "三、建议"):
        assert words in text, words
    docx = page.request.get(f"{live_server.url}/inspections/report.docx?quarter=2026Q4")
    document = Document(io.BytesIO(docx.body()))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"机房日常巡检", "HIS 数据库状态", "PACS 接口状态", "23 °C", "张伟"} <= cells
    assert len(document.inline_shapes) == 2  # the two charts of the automatic items
    assert any("PACS 接口状态" in p.text for p in document.paragraphs)  # its failure, recommended

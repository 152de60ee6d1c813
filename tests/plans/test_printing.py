"""The printed binder: what a person holding the PDF or the Word file would check."""
import io
import re
from pathlib import Path

import pytest
import yaml
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from lifeline.plans import schema
from lifeline.plans.printing import Contact, render_binder

BUNDLED_003 = Path(__file__).resolve().parents[2] / "lifeline/plans/bundled/003_general_hospital_his.yaml"
FORM_TITLES = ["手工挂号单", "手工处方", "划价收费登记单", "手工发药登记表"]

# A small plan with what the binder must draw: owners by role id, a decision tree that loops
# back, a timer, three duty cards.
SMALL_PLAN = """
id: small-his
name: 测试医院信息系统应急预案
organisation: 测试总医院
systems: [HIS]
version: "2024.1"
effective_date: 2024-01-01
review_date: 2025-01-01
groups:
  - {id: hq, name: 应急指挥部, kind: command, lead: commander}
roles:
  - {id: commander, title: 总指挥, group: hq}
  - {id: dba, title: 数据库管理员, group: hq}
levels:
  - {id: L1, name: 一级故障, rank: 1, sla: {respond: immediate, resolve: 2h}, lead: commander}
scenarios:
  - id: db-down
    name: 数据库服务器全部故障
    level: L1
    risk: 两台数据库服务器均不能使用。
    decision_tree:
      start: q1
      nodes:
        - id: q1
          question: 重启后数据库能否连接？
          answers: [{answer: 能, next: a1}, {answer: 不能, next: q2}]
        - {id: a1, action: 重启应用服务器, owner: dba}
        - id: q2
          question: 桌面应急系统能否启动？
          answers: [{answer: 能, next: a2}, {answer: 不能, next: q1}]
        - {id: a2, action: 启用门诊桌面应急系统, owner: commander}
    steps:
      - {id: s1, title: 关闭应用服务器, owner: dba, due: 10min}
      - {id: s2, title: 启用门诊桌面应急系统, owner: commander, due: 1h}
    timers:
      - id: t30
        after: 30min
        action: {kind: duty_cards, text: 启用各部门职责卡, cards: [cashier]}
duty_cards:
  - {id: registration, department: 挂号处, coordinator: 挂号室负责人, duties: [使用手工挂号单]}
  - {id: cashier, department: 收费处, coordinator: 收费处负责人, duties: [输入当年发票号, 应急系统切换前后收款分开]}
  - {id: pharmacy, department: 门诊药房, coordinator: 药学部主任, duties: [手工发药并保留处方]}
"""


def small_plan(**changes) -> schema.Plan:
    return schema.Plan.model_validate(yaml.safe_load(SMALL_PLAN)).model_copy(update=changes)


class Pdf:
    def __init__(self, data: bytes):
        self.reader = PdfReader(io.BytesIO(data))
        self.pages = [page.extract_text() for page in self.reader.pages]
        self.text = "\n".join(self.pages)

    def page_of(self, anchor: str) -> str:
        """Text of the page an element id of the binder lands on."""
        return self.pages[self.reader.get_destination_page_number(self.reader.named_destinations[anchor])]


@pytest.fixture(scope="module")
def his_plan() -> schema.Plan:
    return schema.Plan.model_validate(yaml.safe_load(BUNDLED_003.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def his_pdf(his_plan) -> Pdf:
    return Pdf(render_binder(his_plan, "pdf"))


@pytest.fixture(scope="module")
def small_pdf() -> Pdf:
    return Pdf(render_binder(small_plan(), "pdf"))


def test_pdf_chinese_text_is_embedded_and_extractable(his_plan, his_pdf):
    assert his_pdf.text.count(his_plan.name) >= len(his_pdf.pages) - 1  # cover, then the running header
    assert his_plan.scenarios[1].name in his_pdf.text
    assert "部门职责卡：收费处" in his_pdf.text
    for title in FORM_TITLES:
        assert title in his_pdf.text
    fonts = {str(font["/BaseFont"]) for page in his_pdf.reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert any("WenQuanYi" in name for name in fonts), fonts


def test_pdf_is_a4_with_page_numbers(his_pdf):
    width, height = (float(v) for v in his_pdf.reader.pages[0].mediabox[2:])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    total = len(his_pdf.pages)
    assert f"3 / {total}" in his_pdf.pages[2]
    assert f"{total} / {total}" in his_pdf.pages[-1]


def test_each_duty_card_has_a_page_of_its_own(his_plan, his_pdf):
    cashier = his_pdf.page_of("card-cashier")
    assert "部门职责卡：收费处" in cashier
    assert "输入当年发票号" in cashier
    assert cashier.count("部门职责卡：") == 1
    others = [c.department for c in his_plan.duty_cards if c.department != "收费处"]
    assert not [d for d in others if f"部门职责卡：{d}" in cashier]
    pages = {his_pdf.reader.get_destination_page_number(his_pdf.reader.named_destinations[f"card-{c.id}"])
             for c in his_plan.duty_cards}
    assert len(pages) == len(his_plan.duty_cards)


@pytest.mark.parametrize("key, title", list(zip(
    ["registration_slip", "prescription", "charge_sheet", "dispensing_log"], FORM_TITLES, strict=False)))
def test_each_paper_form_is_a_page_with_the_fields_to_write_back(his_pdf, key, title):
    page = his_pdf.page_of(f"form-{key}")
    assert title in page
    assert not [other for other in FORM_TITLES if other != title and other in page]
    for label in ("应急数据", "流水号", "卡号", "患者姓名", "恢复后已补录入系统"):
        assert label in page
    if key != "dispensing_log":
        assert "医保号" in page


def test_scenario_shows_owner_titles_due_times_timers_and_the_tree(small_pdf):
    page = small_pdf.page_of("scenario-db-down")
    assert "关闭应用服务器" in page and "数据库管理员" in page and "10 分钟" in page
    assert " dba" not in page
    assert "T+30 分钟" in page and "启用各部门职责卡" in page
    assert "问：重启后数据库能否连接？" in page
    # The loop back to the first question is written as a reference, not drawn forever.
    assert "见上文：重启后数据库能否连接？" in page
    assert page.index("重启应用服务器") < page.index("桌面应急系统能否启动？")


def test_contact_table_is_blank_unless_people_are_given(small_pdf):
    assert "13800138000" not in small_pdf.text
    filled = Pdf(render_binder(small_plan(), "pdf", contacts=[Contact("dba", "张伟", "13800138000")]))
    assert re.search(r"数据库管理员\s*张伟\s*13800138000", filled.page_of("organisation"))


def docx(plan, **kwargs):
    return Document(io.BytesIO(render_binder(plan, "docx", **kwargs)))


def test_docx_has_headings_chinese_text_and_an_east_asian_font(his_plan):
    document = docx(his_plan)
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert ("Heading 1", "部门职责卡") in headings
    assert ("Heading 1", "故障场景处置") in headings
    assert ("Heading 2", "部门职责卡：收费处") in headings
    for title in FORM_TITLES:
        assert ("Heading 2", title) in headings
    assert any(his_plan.name in p.text for p in document.paragraphs)
    for style in ("Normal", "Heading 1", "Heading 2"):
        fonts = document.styles[style].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == "Microsoft YaHei"
        assert fonts.get(qn("w:eastAsiaTheme")) is None


def test_docx_starts_each_duty_card_and_form_on_a_new_page(his_plan):
    document = docx(his_plan)
    breaks = {p.text: p.paragraph_format.page_break_before for p in document.paragraphs}
    cards = [f"部门职责卡：{c.department}" for c in his_plan.duty_cards]
    # The first card and the first form follow their section heading, which opens the page.
    assert [breaks[c] for c in cards] == [False] + [True] * (len(cards) - 1)
    assert breaks["部门职责卡"] and breaks["手工应急表单"]
    assert [breaks[t] for t in FORM_TITLES] == [False, True, True, True]


def test_docx_contacts_fill_the_table():
    document = docx(small_plan(), contacts=[Contact("dba", "张伟", "13800138000")])
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert ["应急指挥部", "数据库管理员", "张伟", "13800138000"] in rows
    assert ["应急指挥部", "总指挥", "", ""] in rows


def test_english_plan_prints_english_headings_and_forms():
    document = docx(small_plan(language="en"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Paper downtime forms" in headings
    assert "Handwritten prescription" in headings
    assert "Duty card: 收费处" in headings
    assert "手工处方" not in headings


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="fmt must be one of pdf, docx, not 'odt'"):
        render_binder(small_plan(), "odt")

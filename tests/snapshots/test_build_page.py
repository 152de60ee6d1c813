"""A build's page (/continuity/builds/<id>/): what it read, why it was refused, every row it left
out or value it emptied, page by page, and as CSV and Excel for the HIS team; readers of the
continuity page read it, department staff may not."""
import csv
import io

import openpyxl
import pytest

from lifeline.accounts.roles import Role
from lifeline.snapshots import builder
from lifeline.snapshots.views import PAGE_SIZE
from tests.snapshots.helpers import snapshot_dir  # noqa: F401
from tests.stations.chains import small_his  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def refused(small_his, snapshot_dir, tmp_path):
    """A published package, then a refused build: every patient's sex as the HIS spells it (男/女),
    and a phone emptied for one patient (on_invalid: null)."""
    builder.build(small_his.mapping_path)
    text = small_his.mapping_path.read_text(encoding="utf-8")
    sex = "CASE SEX WHEN '男' THEN '1' WHEN '女' THEN '2' ELSE '0' END AS sex"
    text = text.replace(sex, "SEX AS sex")
    text = text.replace("PHONE_NUMBER AS phone", "CASE WHEN PATIENT_ID = '0000000003' THEN '=1+2' ELSE PHONE_NUMBER "
                                                 "END AS phone")
    rules = "    on_invalid_row: skip\n    fields: {phone: {on_invalid: null}}\n    limits: {max_nulled: 5}\n"
    text = text.replace("  patient:\n", "  patient:\n" + rules, 1)
    path = tmp_path / "raw.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(builder.BuildFailed) as failed:
        builder.build(path)
    return failed.value.record


def test_the_page_shows_why_and_every_problem(client, make_user, refused, small_his):
    client.force_login(make_user("auditor", Role.AUDITOR))
    overview = client.get("/continuity/").content.decode()
    assert f'href="/continuity/builds/{refused.pk}/"' in overview
    assert '<td class="status-refused">已拒绝</td>' in overview
    html = client.get(f"/continuity/builds/{refused.pk}/").content.decode()
    assert "已拒绝" in html and "patient：HIS 中 300 行里有 300 行因值无效被跳过（100.0%），超过允许的 1%" in html
    summary = html.split('<table class="summary">')[1].split("</table>")[0]
    assert "<code>sex</code>" in summary and "跳过该行" in summary and "<td class=\"num\">300</td>" in summary
    problems = html.split('<table class="problems">')[1].split("</table>")[0]
    assert problems.count("<tr>") == PAGE_SIZE + 1  # the header, then a page
    assert "&#x27;男&#x27; 不是 0, 1, 2, 9 之一" in problems
    page_two = client.get(f"/continuity/builds/{refused.pk}/?page=2").content.decode()
    # 301 problems: patient 3 is left out for its sex, and its bad phone is listed with it
    assert page_two.split('<table class="problems">')[1].count("<tr>") == 301 - PAGE_SIZE + 1
    assert client.get(f"/continuity/builds/{refused.pk}/?outcome=nulled").status_code == 200


def test_the_problems_export_as_csv_and_excel(client, make_user, refused):
    client.force_login(make_user("duty", Role.DUTY))
    answer = client.get(f"/continuity/builds/{refused.pk}/problems.csv")
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer["Content-Disposition"] == f'attachment; filename="snapshot-build-{refused.pk}-problems.csv"'
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["实体", "行主键", "字段", "处理结果", "原因"] and len(rows) == 1 + 301
    assert {row[2] for row in rows[1:]} == {"sex", "phone"} and {row[3] for row in rows[1:]} == {"跳过该行"}
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/continuity/builds/{refused.pk}/problems.xlsx").content))
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["实体", "行主键", "字段", "处理结果", "原因"] and sheet.max_row == 302
    assert client.get(f"/continuity/builds/{refused.pk}/problems.pdf").status_code == 404


def test_csv_cells_are_never_formulas():
    from lifeline.snapshots.views import csv_text

    text = csv_text(["a", "b"], [("=HYPERLINK(\"x\")", "+86 138"), ("@cmd", "正常")])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["'=HYPERLINK(\"x\")", "'+86 138"], ["'@cmd", "正常"]]


def test_department_staff_may_not_read_a_build(client, make_user, refused):
    client.force_login(make_user("clerk", Role.DEPARTMENT))
    assert client.get(f"/continuity/builds/{refused.pk}/").status_code == 403
    assert client.get(f"/continuity/builds/{refused.pk}/problems.csv").status_code == 403

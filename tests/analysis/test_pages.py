"""Fault analysis pages and the /api/v1/analysis endpoints: who may read, who may write, and bad input."""
import io
from datetime import date

import pytest
from docx import Document
from pypdf import PdfReader

from lifeline.accounts.roles import Role
from lifeline.analysis.models import FaultAnalysis, FollowUp
from lifeline.people.models import Member
from tests.analysis.conftest import TITLE
from tests.errors import problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_role(client, make_user):
    def login(role):
        client.force_login(make_user(f"user-{role.name.lower()}", role))
        return client

    return login


def pages(incident):
    return ["/analysis/", f"/analysis/incidents/{incident.pk}/", "/analysis/follow-ups/", "/analysis/statistics/",
            f"/analysis/incidents/{incident.pk}/fault-analysis.pdf"]


def test_department_staff_see_no_analysis_page(resolved, as_role):
    client = as_role(Role.DEPARTMENT)
    for path in pages(resolved):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/api/v1/analysis/incidents/{resolved.pk}").status_code == 403
    assert client.get("/api/v1/analysis/statistics").status_code == 403


def test_auditor_reads_but_changes_nothing(resolved, as_role):
    client = as_role(Role.AUDITOR)
    for path in pages(resolved):
        assert client.get(path).status_code == 200, path
    listed = client.get("/analysis/").content.decode()
    assert f'href="/analysis/incidents/{resolved.pk}/">#{resolved.pk} {TITLE}</a>' in listed
    assert 'name="cause"' not in client.get(f"/analysis/incidents/{resolved.pk}/").content.decode()  # no editor
    follow_up = FollowUp.objects.create(incident=resolved, title="补丁", vendor="厂商", due_on=date(2026, 12, 1))
    assert client.post(f"/analysis/incidents/{resolved.pk}/", {"cause": "x"}).status_code == 403
    assert client.post(f"/analysis/incidents/{resolved.pk}/follow-ups/",
                       {"title": "t", "due_on": "2026-12-01", "vendor": "v"}).status_code == 403
    assert client.post(f"/analysis/follow-ups/{follow_up.pk}/done/").status_code == 403
    assert client.put(f"/api/v1/analysis/incidents/{resolved.pk}", {"cause": "x"},
                      content_type="application/json").status_code == 403
    assert not FaultAnalysis.objects.exists() and FollowUp.objects.count() == 1
    assert FollowUp.objects.get().done_at is None


def test_duty_writes_the_analysis_and_downloads_it(resolved, as_role):
    client = as_role(Role.DUTY)
    page = client.get(f"/analysis/incidents/{resolved.pk}/").content.decode()
    assert TITLE in page and "厂商远程处理，无需重装系统" in page and 'name="cause"' in page
    response = client.post(f"/analysis/incidents/{resolved.pk}/", {
        "cause": "应用服务器系统盘损坏", "went_well": "30 分钟内响应", "went_badly": "备件不足",
        "lessons": "备用服务器", "plan_changes": "增加系统盘备件"})
    assert response.status_code == 302
    assert FaultAnalysis.objects.get(incident=resolved).plan_changes == "增加系统盘备件"
    pdf = client.get(f"/analysis/incidents/{resolved.pk}/fault-analysis.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "应用服务器系统盘损坏" in text and "增加系统盘备件" in text
    docx = client.get(f"/analysis/incidents/{resolved.pk}/fault-analysis.docx")
    assert "应用服务器系统盘损坏" in [p.text for p in Document(io.BytesIO(docx.content)).paragraphs]


def test_follow_up_pages(resolved, as_role, clock):
    client = as_role(Role.COMMANDER)
    member = Member.objects.create(name="王工", phone="13900000001")
    client.post(f"/analysis/incidents/{resolved.pk}/follow-ups/",
                {"title": "演练应用服务器切换", "due_on": "2026-11-24", "owner": member.pk})
    client.post(f"/analysis/incidents/{resolved.pk}/follow-ups/",
                {"title": "安装补丁", "due_on": "2026-12-10", "vendor": "某 HIS 厂商"})
    clock.advance(days=2)  # 2026-11-25: the drill is late
    html = client.get("/analysis/follow-ups/").content.decode()
    assert html.count('class="overdue"') == 1 and "王工" in html and "某 HIS 厂商" in html
    drill = FollowUp.objects.get(title="演练应用服务器切换")
    client.post(f"/analysis/follow-ups/{drill.pk}/done/", {"result": "已完成"})
    assert FollowUp.objects.get(pk=drill.pk).result == "已完成"
    assert "<td>演练应用服务器切换</td>" not in client.get("/analysis/follow-ups/").content.decode()


def _field_of(html: str, name: str) -> str:
    """The site form's block of one field: its label, errors, input and help."""
    return next(block for block in html.split('<div class="field') if f'name="{name}"' in block)


@pytest.mark.parametrize("due_on, says", [
    ("12/10/2026", "YYYY-MM-DD"),
    ("1999-12-01", "早于事件开始的日期（2026-11-22）"),
    ("2099-12-01", "超过 5 年之后"),
])
def test_bad_follow_up_from_the_page_is_told_by_its_field(resolved, as_role, due_on, says):
    client = as_role(Role.DUTY)
    response = client.post(f"/analysis/incidents/{resolved.pk}/follow-ups/",
                           {"title": "安装补丁", "due_on": due_on, "vendor": "厂商"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    html = response.content.decode()
    field = _field_of(html, "due_on")
    assert "field-error" in field and says in field and 'value="安装补丁"' in _field_of(html, "title")
    assert not FollowUp.objects.exists()


def test_the_date_picker_offers_the_accepted_due_dates(resolved, as_role):
    html = as_role(Role.DUTY).get(f"/analysis/incidents/{resolved.pk}/").content.decode()
    assert 'min="2026-11-22"' in _field_of(html, "due_on") and 'max="2031-11-23"' in _field_of(html, "due_on")


def test_a_result_too_long_is_told_in_its_row(resolved, as_role):
    client = as_role(Role.DUTY)
    follow_up = FollowUp.objects.create(incident=resolved, title="补丁", vendor="厂商", due_on=date(2026, 12, 1))
    response = client.post(f"/analysis/follow-ups/{follow_up.pk}/done/", {"result": "x" * 501})
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    assert FollowUp.objects.get().done_at is None


def test_api_analysis_and_follow_ups(resolved, as_role):
    client = as_role(Role.DUTY)
    data = client.get(f"/api/v1/analysis/incidents/{resolved.pk}").json()
    assert data["saved"] is False and data["title"] == TITLE
    assert data["figures"]["reports"] == 3 and data["figures"]["duration_s"] == 26 * 3600
    assert data["figures"]["acknowledged_in_time"] is True and data["figures"]["resolved_in_time"] is False
    saved = client.put(f"/api/v1/analysis/incidents/{resolved.pk}", {"cause": "系统盘损坏"},
                       content_type="application/json").json()
    assert saved["saved"] is True and saved["cause"] == "系统盘损坏" and saved["went_badly"]

    bad = client.post(f"/api/v1/analysis/incidents/{resolved.pk}/follow-ups", {"due_on": "2026-12-01", "vendor": "v"},
                      content_type="application/json")
    assert bad.status_code == 400 and "title" in problems(bad)
    bad = client.post(f"/api/v1/analysis/incidents/{resolved.pk}/follow-ups",
                      {"title": "补丁", "due_on": "next week", "vendor": "v"}, content_type="application/json")
    assert bad.status_code == 400 and "due_on" in problems(bad)
    bad = client.post(f"/api/v1/analysis/incidents/{resolved.pk}/follow-ups",
                      {"title": "补丁", "due_on": "1999-12-01", "vendor": "v"}, content_type="application/json")
    assert bad.status_code == 400 and "due_on" in problems(bad)
    assert not FollowUp.objects.exists()

    created = client.post(f"/api/v1/analysis/incidents/{resolved.pk}/follow-ups",
                          {"title": "补丁", "due_on": "2026-11-22", "vendor": "某 HIS 厂商"},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["overdue"] is True
    follow_up = created.json()["id"]
    assert [f["id"] for f in client.get("/api/v1/analysis/follow-ups?status=overdue").json()] == [follow_up]
    done = client.post(f"/api/v1/analysis/follow-ups/{follow_up}/done", {"result": "已安装"},
                       content_type="application/json").json()
    assert done["done_at"] and done["overdue"] is False
    assert client.get("/api/v1/analysis/follow-ups").json() == []
    assert client.post(f"/api/v1/analysis/follow-ups/{follow_up}/done", {},
                       content_type="application/json").status_code == 400
    assert client.get("/api/v1/analysis/follow-ups?status=late").status_code == 400

"""Reports: numbered, validated, read back by their reporter."""
import pytest
from django.core.exceptions import ValidationError

from lifeline.accounts.roles import Role
from lifeline.incidents import intake
from lifeline.incidents.models import Report
from tests.errors import problems

pytestmark = pytest.mark.django_db

GOOD = {"department": "收费处", "workstation": "门诊收费 3 号窗口", "description": "HIS 白屏，无法收费",
        "people_affected": 12, "contact": "分机 8021"}


def test_reports_get_a_number_of_the_day(t0):
    first = intake.submit_report(**GOOD)
    second = intake.submit_report(**GOOD, source=Report.Source.HOTLINE)
    assert (first.number, second.number) == ("BG-20261122-0001", "BG-20261122-0002")
    assert second.source == "hotline" and first.created_at == t0


@pytest.mark.parametrize("field, value", [
    ("department", " "), ("contact", ""), ("description", "x" * 2001), ("people_affected", 0),
])
def test_bad_report_names_the_field_and_stores_nothing(t0, field, value):
    with pytest.raises(ValidationError) as caught:
        intake.submit_report(**{**GOOD, field: value})
    assert field in caught.value.message_dict
    assert not Report.objects.exists()


def test_department_submits_by_api_and_reads_only_its_own(client, make_user, t0):
    nurse = make_user("nurse", Role.DEPARTMENT)
    client.force_login(nurse)
    answer = client.post("/api/v1/reports", GOOD, content_type="application/json")
    assert answer.status_code == 201
    number = answer.json()["number"]
    assert number == "BG-20261122-0001" and answer.json()["source"] == "api"
    mine = client.get(f"/api/v1/reports/{number}").json()
    assert mine["description"] == GOOD["description"] and mine["incident"] is None

    client.force_login(make_user("other", Role.DEPARTMENT))
    assert client.get(f"/api/v1/reports/{number}").status_code == 403
    assert client.get("/api/v1/reports").json() == []


def test_bad_report_by_api_is_400_naming_the_field(client, make_user, t0):
    client.force_login(make_user("nurse", Role.DEPARTMENT))
    answer = client.post("/api/v1/reports", {**GOOD, "description": "x" * 2001}, content_type="application/json")
    assert answer.status_code == 400
    assert "description" in problems(answer)
    assert not Report.objects.exists()


def test_auditor_reads_but_does_not_report(client, make_user, t0):
    client.force_login(make_user("auditor", Role.AUDITOR))
    assert client.post("/api/v1/reports", GOOD, content_type="application/json").status_code == 403
    assert client.get("/api/v1/reports").status_code == 200

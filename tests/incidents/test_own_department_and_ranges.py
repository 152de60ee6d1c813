"""Issue 12: a report is filed in the reporter's own department (unless IT on duty or a commander
takes it), and every number has a range (reminder minutes, people affected, share of users)."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.incidents import lifecycle
from lifeline.incidents.models import Report, Timer
from lifeline.people.models import Member
from tests.errors import problems

pytestmark = pytest.mark.django_db
JSON = "application/json"
REPORT = {"workstation": "3 号窗口", "description": "HIS 白屏", "people_affected": 2, "contact": "8021"}


@pytest.fixture
def staff(client, make_user):
    def login(username, role, department=None):
        user = make_user(username, role)
        if department:
            Member.objects.create(name=username, phone="13900000099", department=department, user=user)
        client.force_login(user)
        return user

    return login


def test_department_staff_report_only_for_their_own_department_on_the_page(client, staff, t0):
    staff("clinic", Role.DEPARTMENT, department="门诊部")
    page = client.post("/incidents/report/", {**REPORT, "department": "护理部"})
    assert page.status_code == 200 and "department" in page.context["form"].errors
    assert not Report.objects.exists()
    client.post("/incidents/report/", {**REPORT, "department": "门诊部"})
    assert list(Report.objects.values_list("department", flat=True)) == ["门诊部"]


def test_department_staff_report_only_for_their_own_department_in_the_api(client, staff, t0):
    staff("clinic", Role.DEPARTMENT, department="门诊部")
    answer = client.post("/api/v1/reports", {**REPORT, "department": "护理部"}, content_type=JSON)
    assert answer.status_code == 400 and "门诊部" in problems(answer)["department"]
    assert not Report.objects.exists()
    answer = client.post("/api/v1/reports", {**REPORT, "department": ""}, content_type=JSON)
    assert answer.status_code == 201 and answer.json()["department"] == "门诊部"


@pytest.mark.parametrize("role", [Role.DUTY, Role.COMMANDER])
def test_it_on_duty_and_commanders_file_for_any_department(client, staff, t0, role):
    staff("taker", role, department="信息中心")
    answer = client.post("/api/v1/reports", {**REPORT, "department": "护理部"}, content_type=JSON)
    assert answer.status_code == 201 and answer.json()["department"] == "护理部"


@pytest.fixture
def incident(load_seed, t0):
    load_seed("004")
    return lifecycle.open_incident(plan_id="his_failure", title="HIS 故障", scope="region")


@pytest.mark.parametrize("minutes", [99999999999, 7 * 24 * 60 + 1, 0])
def test_reminder_minutes_out_of_range_are_refused_naming_the_field(client, staff, incident, minutes):
    staff("duty", Role.DUTY)
    answer = client.post(f"/api/v1/incidents/{incident.pk}/timers", {"minutes": minutes, "text": "check"},
                         content_type=JSON)
    assert answer.status_code == 400 and "minutes" in problems(answer)
    page = client.post(f"/incidents/{incident.pk}/reminder/", {"minutes": str(minutes), "text": "check"}, follow=True)
    assert page.status_code == 200
    assert any("minutes" in str(m) or "分钟" in str(m) for m in page.context["messages"])
    assert not Timer.objects.filter(kind="reminder").exists()
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'name="minutes" type="number" min="1" max="10080"' in html


@pytest.mark.parametrize("field,value", [("people_affected", 99999999999), ("people_affected", 0)])
def test_report_numbers_have_a_range_in_the_api(client, staff, t0, field, value):
    staff("duty", Role.DUTY)
    answer = client.post("/api/v1/reports", {**REPORT, "department": "药房", field: value}, content_type=JSON)
    assert answer.status_code == 400 and field in problems(answer)


def test_share_of_users_has_a_range_in_the_api(client, staff, t0, load_seed):
    load_seed("004")
    staff("duty", Role.DUTY)
    answer = client.post("/api/v1/incidents", {"plan": "his_failure", "title": "HIS", "users_pct": 1e20},
                         content_type=JSON)
    assert answer.status_code == 400 and "users_pct" in problems(answer)

"""Issue 12: phone numbers and contact channels are for IT and command (can_read), not department
staff, on the pages and in the API; the roster's ?date=, on-duty's ?at= and eta_minutes have ranges."""
from datetime import timedelta

import pytest

from lifeline.accounts.models import ApiToken
from lifeline.accounts.roles import Role
from lifeline.people.models import CheckIn, ContactChannel, Shift
from tests.errors import problems

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


@pytest.fixture
def colleague(make_member, monday_9am):
    zhang = make_member("张伟", phone=PHONE, department="信息中心")
    ContactChannel.objects.create(member=zhang, kind="wecom", url="json://localhost/hook")
    Shift.objects.create(role="duty_it", member=zhang, starts_at=monday_9am, ends_at=monday_9am + timedelta(hours=24))
    return zhang


def bearer(make_user, name, role):
    _token, key = ApiToken.objects.issue(make_user(name, role))
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.mark.parametrize("path", ["/people/", "/people/roster/", "/people/check-in/"])
def test_department_staff_see_no_phone_numbers_on_the_pages(client, make_user, colleague, path):
    client.force_login(make_user("nurse", Role.DEPARTMENT))
    page = client.get(path)
    assert page.status_code == 200 and PHONE not in page.content.decode()
    client.force_login(make_user("duty", Role.DUTY))
    assert PHONE in client.get(path).content.decode()


def test_department_staff_get_members_without_phones_or_channels_in_the_api(client, make_user, colleague):
    nurse = bearer(make_user, "nurse", Role.DEPARTMENT)
    for path in ("/api/v1/people/members", "/api/v1/people/on-duty"):
        answer = client.get(path, **nurse)
        assert answer.status_code == 200 and PHONE not in answer.content.decode()
    member = client.get("/api/v1/people/members", **nurse).json()[0]
    assert (member["phone"], member["channels"]) == (None, [])
    duty = client.get("/api/v1/people/members", **bearer(make_user, "duty", Role.DUTY)).json()[0]
    assert (duty["phone"], duty["channels"]) == (PHONE, ["wecom"])


@pytest.mark.parametrize("path", ["/people/roster/", "/people/export/shifts.xlsx"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_roster_date_out_of_range_is_400_naming_the_date(client, make_user, monday_9am, path, day):
    client.force_login(make_user("duty", Role.DUTY))
    answer = client.get(path, {"date": day})
    assert answer.status_code == 400 and answer.content.decode().startswith("date:")
    assert client.get(path, {"date": "2025-03-04"}).status_code == 200


def test_on_duty_at_out_of_range_is_refused_naming_at(client, make_user, colleague):
    auth = bearer(make_user, "duty", Role.DUTY)
    answer = client.get("/api/v1/people/on-duty", {"at": "9999-12-31T23:59:59"}, **auth)
    assert answer.status_code == 400 and "at" in problems(answer)
    assert client.get("/api/v1/people/on-duty", {"at": "2025-03-03T12:00:00"}, **auth).status_code == 200


@pytest.mark.parametrize("eta", [99999999999, -1, 24 * 60 + 1])
def test_eta_minutes_out_of_range_is_refused_naming_the_field(client, make_user, make_member, monday_9am, eta):
    user = make_user("liuyang", Role.DUTY)
    make_member("刘洋", user=user)
    _token, key = ApiToken.objects.issue(user)
    answer = client.post("/api/v1/people/check-in", {"status": "off_site", "eta_minutes": eta},
                         content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert answer.status_code == 400 and "eta_minutes" in problems(answer)
    assert not CheckIn.objects.exists()

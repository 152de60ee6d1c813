"""/api/v1/people with a bearer token: on duty, fastest, check-in, members, teams."""
from datetime import timedelta

import pytest

from lifeline.accounts.models import ApiToken
from lifeline.accounts.roles import Role
from lifeline.people.models import CheckIn, Shift, TeamMembership
from tests.errors import problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(make_user):
    def issue(username="robot", role=Role.DUTY):
        user = make_user(username, role)
        _token, key = ApiToken.objects.issue(user)
        return user, {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    return issue


def test_on_duty_answers_with_token(client, bearer, make_member, monday_9am):
    _user, auth = bearer()
    zhang = make_member("张伟", phone="13800001111")
    Shift.objects.create(role="duty_it", member=zhang, starts_at=monday_9am, ends_at=monday_9am + timedelta(hours=24))

    assert client.get("/api/v1/people/on-duty", {"role": "duty_it"}).status_code == 401
    answer = client.get("/api/v1/people/on-duty", {"role": "duty_it"}, **auth).json()
    assert answer == [{"role": "duty_it", "label": "值班", "backup": None,
                       "primary": {"id": zhang.pk, "name": "张伟", "phone": "13800001111", "department": "",
                                   "title": ""}}]
    later = (monday_9am + timedelta(days=1)).isoformat()
    assert client.get("/api/v1/people/on-duty", {"role": "duty_it", "at": later}, **auth).json()[0]["primary"] is None
    assert [d["role"] for d in client.get("/api/v1/people/on-duty", **auth).json()] == ["duty_it"]


def test_check_in_own_member_then_fastest(client, bearer, make_member, monday_9am):
    user, auth = bearer("liuyang", Role.DEPARTMENT)
    me = make_member("刘洋", user=user, skills=["数据库恢复"])
    make_member("陈静", skills=["数据库恢复"])
    response = client.post("/api/v1/people/check-in", {"status": "off_site", "eta_minutes": 25},
                           content_type="application/json", **auth)
    assert response.status_code == 201
    assert response.json()["member"]["id"] == me.pk

    ranked = client.get("/api/v1/people/fastest", {"skill": "数据库恢复"}, **auth).json()
    assert [(r["member"]["name"], r["eta_minutes"]) for r in ranked] == [("刘洋", 25), ("陈静", None)]


def test_check_in_errors_name_the_field_and_save_nothing(client, bearer, make_member, monday_9am):
    user, auth = bearer("liuyang", Role.DEPARTMENT)
    make_member("刘洋", user=user)
    other = make_member("张伟")
    response = client.post("/api/v1/people/check-in", {"status": "off_site"}, content_type="application/json", **auth)
    assert response.status_code == 400 and "eta_minutes" in problems(response)
    response = client.post("/api/v1/people/check-in", {"member_id": other.pk, "status": "on_site"},
                           content_type="application/json", **auth)
    assert response.status_code == 403
    assert CheckIn.objects.count() == 0


def test_members_and_teams(client, bearer, make_member, tech_team):
    _user, auth = bearer(role=Role.AUDITOR)
    liu = make_member("刘洋", skills=["数据库恢复"])
    liu.channels.create(kind="wecom", url="wecombot://secret-key")
    TeamMembership.objects.create(member=liu, team=tech_team, lead=True)

    members = client.get("/api/v1/people/members", {"skill": "数据库恢复"}, **auth).json()
    assert members[0]["skills"] == ["数据库恢复"] and members[0]["channels"] == ["wecom"]
    assert members[0]["teams"] == [{"team": "tech", "kind": "core", "lead": True}]
    assert "secret-key" not in str(members)

    teams = client.get("/api/v1/people/teams", **auth).json()
    assert teams[0]["code"] == "tech" and teams[0]["core"] == 1 and teams[0]["core_target"] == 5
    assert teams[0]["members"][0]["member"]["name"] == "刘洋"

"""/api/v1/plans: reading needs a login or token; loading and activating need a commander or admin."""
import pytest

from lifeline.accounts.models import ApiToken
from lifeline.accounts.roles import Role
from lifeline.plans import services
from lifeline.plans.models import PlanVersion
from tests.plans.sample import PLAN_YAML, THREE_ERRORS, line_of, planted

pytestmark = pytest.mark.django_db

CHANGED = planted(PLAN_YAML, ('version: "2024.1"', 'version: "2024.2"'))


def load(client, text, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(f"/api/v1/plans/load?{query}", data=text.encode(), content_type="application/yaml")


@pytest.fixture
def commander(client, make_user):
    client.force_login(make_user("zhang", Role.COMMANDER))
    return client


def test_plans_need_a_token_or_a_session(client, make_user):
    assert client.get("/api/v1/plans/").status_code == 401
    assert load(client, PLAN_YAML).status_code == 401
    _token, key = ApiToken.objects.issue(make_user("robot", Role.DUTY))
    assert client.get("/api/v1/plans/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_department_user_cannot_load_a_plan(client, make_user):
    client.force_login(make_user("ward", Role.DEPARTMENT))
    response = load(client, PLAN_YAML)
    assert response.status_code == 403
    assert PlanVersion.objects.count() == 0


def test_commander_loads_and_everyone_logged_in_reads(commander, client, make_user):
    response = load(commander, PLAN_YAML)
    assert response.status_code == 201
    assert response.json() | {"loaded_at": None, "activated_at": None} == {
        "plan": "demo-his", "number": 1, "is_active": True, "sha256": PlanVersion.objects.get().sha256,
        "loaded_at": None, "loaded_by": "zhang", "activated_at": None}
    client.force_login(make_user("ward", Role.DEPARTMENT))
    assert client.get("/api/v1/plans/").json() == [{
        "id": "demo-his", "name": "示范医院HIS系统故障应急预案", "organisation": "示范市第一人民医院",
        "language": "zh-hans", "active_version": 1}]
    content = client.get("/api/v1/plans/demo-his").json()
    assert content["scenarios"][0]["timers"][0]["after"] == "15min"
    assert client.get("/api/v1/plans/nope").status_code == 404


def test_bad_yaml_gets_400_with_lines_and_stores_nothing(commander):
    response = load(commander, THREE_ERRORS)
    assert response.status_code == 400
    problems = response.json()["errors"]
    assert [(p["line"], p["field"]) for p in problems] == [
        (line_of(THREE_ERRORS, "- id: failover"), "scenarios[0].steps[1].owner"),
        (line_of(THREE_ERRORS, "roles: [tech_leader]"), "scenarios[0].timers[0].action.roles[0]"),
        (line_of(THREE_ERRORS, "- id: t30"), "scenarios[0].timers[1].action"),
    ]
    broken = load(commander, "id: [unclosed\nname: x\n")
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["line"] == 2
    assert PlanVersion.objects.count() == 0


def test_versions_and_activation(commander, client, make_user):
    load(commander, PLAN_YAML)
    assert load(commander, CHANGED, activate="false").json()["is_active"] is False
    assert [(v["number"], v["is_active"]) for v in commander.get("/api/v1/plans/demo-his/versions").json()] == [
        (2, False), (1, True)]
    response = commander.post("/api/v1/plans/demo-his/versions/2/activate")
    assert response.status_code == 200 and response.json()["is_active"] is True
    assert services.active_version("demo-his").number == 2
    assert commander.post("/api/v1/plans/demo-his/versions/9/activate").status_code == 404
    client.force_login(make_user("duty1", Role.DUTY))
    assert client.post("/api/v1/plans/demo-his/versions/1/activate").status_code == 403
    assert services.active_version("demo-his").number == 2


def test_load_is_documented_with_a_yaml_example(commander):
    operation = commander.get("/api/v1/openapi.json").json()["paths"]["/api/v1/plans/load"]["post"]
    assert "id: demo-his" in operation["requestBody"]["content"]["application/yaml"]["example"]
    assert set(operation["responses"]) >= {"201", "400", "403"}
    assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Errors"}

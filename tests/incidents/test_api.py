"""The incident API: the open-incidents contract, the flow through it, roles and bad input."""
import pytest

from lifeline.accounts.models import ApiToken
from lifeline.accounts.roles import Role
from lifeline.incidents import lifecycle
from lifeline.incidents.models import Incident, TimelineEntry
from tests.errors import problems

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def duty(client, make_user):
    client.force_login(make_user("duty", Role.DUTY))
    return client


def post(client, path, body=None):
    return client.post(f"/api/v1{path}", body or {}, content_type=JSON)


def test_open_incidents_contract(load_seed, t0, make_user, client):
    plan = load_seed("004")
    kept = lifecycle.open_incident(plan_id=plan, title="HIS down", scope="whole")
    drill = lifecycle.open_incident(plan_id=plan, title="Drill", scope="region", is_drill=True)
    done = lifecycle.open_incident(plan_id=plan, title="Fixed", scope="terminal")
    for status in ("acknowledged", "resolved"):
        lifecycle.transition(done, status)
    _token, key = ApiToken.objects.issue(make_user("robot", Role.AUDITOR))
    answer = client.get("/api/v1/incidents?status=open", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert answer.status_code == 200
    items = answer.json()
    assert isinstance(items, list)
    assert [i["id"] for i in items] == [drill.pk, kept.pk]
    assert set(items[1]) >= {"id", "title", "level", "status", "opened_at", "is_drill"}
    assert (items[1]["title"], items[1]["level"], items[1]["status"], items[1]["is_drill"]) == (
        "HIS down", "class_1", "reported", False)
    assert items[0]["is_drill"] is True
    assert items[1]["opened_at"].startswith("2026-11-22T01:00:00")


def test_report_to_resolved_through_the_api(load_seed, t0, duty, make_user, client):
    plan = load_seed("004")
    number = post(duty, "/reports", {"department": "Pharmacy", "description": "Cannot dispense",
                                     "contact": "8033", "source": "hotline"}).json()["number"]
    answer = post(duty, "/incidents", {"plan": plan, "title": "HIS down", "reports": [number], "scope": "whole",
                                       "scenario": "overall_fault"})
    assert answer.status_code == 201
    incident = answer.json()
    assert incident["level"] == "class_1" and incident["classification"]["departments"] == ["Pharmacy"]
    assert [r["number"] for r in incident["reports"]] == [number]
    assert [t["key"] for t in incident["timers"] if t["kind"] == "plan_timer"] == [
        "overall_fault:outpatient_standalone", "overall_fault:outpatient_standalone_card",
        "overall_fault:manual_operation", "overall_fault:manual_operation_cards"]
    path = f"/incidents/{incident['id']}"
    item = incident["checklist"][0]["id"]
    assert post(duty, f"{path}/transition", {"status": "acknowledged"}).json()["status"] == "acknowledged"
    assert post(duty, f"{path}/checklist/{item}/tick").json()["status"] == "done"
    assert post(duty, f"{path}/notes", {"text": "Vendor on the way"}).status_code == 201
    assert post(duty, f"{path}/transition", {"status": "resolved", "confirmed": True}).json()["time_to_resolve_s"] == 0
    assert duty.get(f"/api/v1/reports/{number}").json()["incident_status"] == "resolved"
    detail = duty.get(f"/api/v1{path}").json()
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds[:2] == ["opened", "report"] and "note" in kinds and kinds[-1] == "timer"
    assert detail["timeline"][0]["by"] == "duty"
    assert {t["status"] for t in duty.get(f"/api/v1{path}/timers").json()} == {"cancelled"}


def test_bad_input_is_refused_with_the_field_and_changes_nothing(load_seed, t0, duty):
    plan = load_seed("004")
    answer = post(duty, "/incidents", {"plan": plan, "title": "HIS down", "level": "class_9"})
    assert answer.status_code == 400 and problems(answer)["level"].startswith("未知级别 class_9")
    incident = lifecycle.open_incident(plan_id=plan, title="HIS down", scope="whole")
    entries = TimelineEntry.objects.count()
    answer = post(duty, f"/incidents/{incident.pk}/transition", {"status": "resolved"})
    assert answer.status_code == 400 and "当前状态为 已上报，不能变为 已解决" in problems(answer)["status"]
    answer = post(duty, f"/incidents/{incident.pk}/notes", {"text": "x" * (5 * 1024 * 1024)})
    assert answer.status_code == 413
    assert problems(answer)["text"].startswith("备注最多 10000 个字符；本次请求有 52")
    answer = post(duty, f"/incidents/{incident.pk}/notes", {"text": "x" * 10_001})
    assert answer.status_code == 400 and problems(answer)["text"].startswith("备注最多 10000 个字符")
    assert TimelineEntry.objects.count() == entries
    for status in ("acknowledged", "resolved", "closed"):
        lifecycle.transition(incident, status)
    entries = TimelineEntry.objects.count()
    answer = post(duty, f"/incidents/{incident.pk}/timers", {"minutes": 20, "text": "check"})
    assert answer.status_code == 400 and problems(answer)["incident"].startswith("事件状态为")
    assert TimelineEntry.objects.count() == entries
    assert Incident.objects.get(pk=incident.pk).timers.filter(kind="reminder").count() == 0


def test_roles_are_checked_on_the_server(load_seed, t0, client, make_user):
    plan = load_seed("004")
    incident = lifecycle.open_incident(plan_id=plan, title="HIS down", scope="region")
    client.force_login(make_user("nurse", Role.DEPARTMENT))
    assert client.get("/api/v1/incidents").status_code == 403
    assert post(client, f"/incidents/{incident.pk}/transition", {"status": "acknowledged"}).status_code == 403
    client.force_login(make_user("auditor", Role.AUDITOR))
    assert client.get(f"/api/v1/incidents/{incident.pk}").status_code == 200
    assert post(client, f"/incidents/{incident.pk}/notes", {"text": "hi"}).status_code == 403
    client.force_login(make_user("duty", Role.DUTY))
    answer = post(client, f"/incidents/{incident.pk}/reclassify", {"level": "class_1", "reason": "spreading"})
    assert answer.status_code == 403
    client.force_login(make_user("chief", Role.COMMANDER))
    answer = post(client, f"/incidents/{incident.pk}/reclassify", {"level": "class_1", "reason": "spreading"})
    assert answer.status_code == 200 and answer.json()["level"] == "class_1"


def test_tree_roles_and_cards_through_the_api(load_seed, t0, duty, on_duty):
    plan = load_seed("004")
    incident = lifecycle.open_incident(plan_id=plan, title="Ward down", scope="region", scenario_id="regional_fault")
    path = f"/incidents/{incident.pk}"
    assert duty.get(f"/api/v1{path}").json()["tree"]["answers"] == ["Yes", "No"]
    assert post(duty, f"{path}/tree/answer", {"node": "short_time", "answer": "Yes"}).json()["node"] == "recover"
    admin = on_duty("network_admin", "Liu")
    roles = post(duty, f"{path}/roles", {"role": "commander", "member_id": admin.pk}).json()["roles"]
    assert [(r["role"], r["member"]) for r in roles] == [("commander", "Liu")]
    answer = post(duty, f"{path}/duty-cards/none/acknowledge")
    assert answer.status_code == 400 and "card" in problems(answer)


def test_openapi_documents_the_intake_with_examples(duty):
    schema = duty.get("/api/v1/openapi.json").json()
    assert "/api/v1/reports" in schema["paths"] and "/api/v1/incidents" in schema["paths"]
    report_in = schema["components"]["schemas"]["ReportIn"]["properties"]
    assert report_in["department"]["examples"] == ["收费处"]
    note = schema["paths"]["/api/v1/incidents/{incident_id}/notes"]["post"]["requestBody"]
    assert note["content"]["application/json"]["schema"]["properties"]["text"]["examples"]

"""/api/v1/drills: planning, starting, a milestone, findings; refusals in the one shape naming the
field, 409 for a drill that cannot start again; readers cannot write, department staff cannot read."""
import pytest

from lifeline.drills.models import Drill

pytestmark = pytest.mark.django_db
BODY = {"plan_id": "internet_hospital", "scenario_id": "network_outage", "planned_at": "2026-12-08T01:00:00Z"}


def test_a_drill_through_the_api(plan_001, morning, it_client):
    bad = it_client.post("/api/v1/drills", BODY | {"scenario_id": "flood"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "scenario_id" and not Drill.objects.exists()
    created = it_client.post("/api/v1/drills", BODY | {"target_restore": 20}, content_type="application/json")
    assert created.status_code == 201
    drill = created.json()
    assert [(m["milestone"], m["target_minutes"]) for m in drill["milestones"]] == [
        ("detect", 1), ("acknowledge", None), ("emergency", 5), ("restore", 20)]
    url = f"/api/v1/drills/{drill['id']}"
    assert it_client.post(f"{url}/start").json()["status"] == "running"
    again = it_client.post(f"{url}/start")
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "status"
    morning.advance(minutes=3)
    wrong = it_client.post(f"{url}/milestones", {"milestone": "lunch"}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "milestone"
    recorded = it_client.post(f"{url}/milestones", {"milestone": "detect"}, content_type="application/json").json()
    assert recorded["milestones"][0] | {"reached_at": None} == {
        "milestone": "detect", "target_minutes": 1, "reached_at": None, "minutes": 3.0, "met": False,
        "verdict": "超出目标 2 分钟"}
    finding = it_client.post(f"{url}/findings", {"title": "备用接口的IP地址写错", "owner": "技术组",
                                                 "deadline": "2026-12-20"}, content_type="application/json")
    assert finding.status_code == 201
    done = it_client.post(f"/api/v1/drills/findings/{finding.json()['id']}/status", {"status": "done"},
                          content_type="application/json")
    assert done.json()["status"] == "done"
    assert it_client.post(f"{url}/end").json()["status"] == "ended"


def test_readers_and_department_staff(drill, client, people):
    client.force_login(people["auditor"])
    assert client.get(f"/api/v1/drills/{drill.pk}").status_code == 200
    assert client.post(f"/api/v1/drills/{drill.pk}/start").status_code == 403
    client.force_login(people["nurse"])
    assert client.get("/api/v1/drills").status_code == 403

"""/api/v1/inspections: today's rounds, completing one (refusals in the one shape, naming the
item's field), spare parts and withdrawals."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.inspections.models import Result, SparePart

pytestmark = pytest.mark.django_db


def test_today_and_complete_through_the_api(morning, daily, it_client):
    [round_] = it_client.get("/api/v1/inspections/today").json()
    assert round_["checklist"] == "机房日常巡检" and len(round_["items"]) == 5 and not round_["overdue"]
    manual = [i for i in round_["items"] if i["kind"] == "manual"]
    temperature = next(i for i in manual if i["title"] == "机房温度")
    url = f"/api/v1/inspections/rounds/{round_['id']}/complete"
    bad = it_client.post(url, {"answers": [{"item_id": i["id"], "passed": True} for i in manual]},
                         content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"field": f"item-{temperature['id']}-value", "message": "请填写数值（°C）"}]
    assert not Result.objects.exists()
    good = it_client.post(url, {"answers": [{"item_id": i["id"], "passed": True, "value": 21} for i in manual]},
                          content_type="application/json")
    assert good.status_code == 200 and good.json()["completed_by"] == "zhangwei" and len(good.json()["results"]) == 5
    again = it_client.post(url, {"answers": []}, content_type="application/json")
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "round"


def test_parts_and_withdrawals_through_the_api(morning, it_client, client, make_user):
    part = SparePart.objects.create(name="服务器硬盘", category="disk", location="B1", quantity=1, minimum=1)
    assert it_client.get("/api/v1/inspections/parts").json()[0]["below_minimum"] is False
    bad = it_client.post(f"/api/v1/inspections/parts/{part.pk}/withdrawals",
                         {"quantity": 1, "incident": 4242, "reason": "换盘"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "incident"
    client.force_login(make_user("reader", Role.AUDITOR))
    assert client.get("/api/v1/inspections/parts").status_code == 200
    assert client.post(f"/api/v1/inspections/parts/{part.pk}/withdrawals", {}, content_type="application/json"
                       ).status_code == 403

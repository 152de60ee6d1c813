"""The board's pages and API: who sees which forms, refusals under their fields, the demo."""
import json

import pytest

from lifeline.accounts.roles import Role
from lifeline.cutover import demo, services
from lifeline.cutover.models import Cutover, Task
from tests.cutover.board import go_live

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(client):
    return go_live()


def as_role(client, make_user, role):
    client.force_login(make_user(role.value, role))
    return client


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.AUDITOR])
def test_readers_see_the_board_without_forms(client, make_user, board, role):
    page = as_role(client, make_user, role).get(f"/cutover/{board.pk}/").content.decode()
    assert "老系统基础数据迁移" in page and "数据比对" in page
    assert 'method="post" action="/cutover/' not in page
    assert client.post(f"/cutover/{board.pk}/tasks/", {"title": "x"}).status_code == 403


def test_a_bad_task_is_refused_under_its_field(client, make_user, board):
    response = as_role(client, make_user, Role.DUTY).post(
        f"/cutover/{board.pk}/tasks/", {"title": "割接", "unit": "信息中心", "owner": "王工", "deadline": "明天"})
    assert response.status_code == 400
    assert "id_deadline_error" in response.content.decode() or "输入一个有效的日期" in response.content.decode()
    assert board.tasks.count() == 2


def test_a_rehearsal_with_a_bad_line_names_it(client, make_user, board):
    response = as_role(client, make_user, Role.COMMANDER).post(f"/cutover/{board.pk}/rehearsals/", {
        "started_at": "2022-08-10T20:00", "ended_at": "2022-08-10T23:00", "table_rows": "挂网目录 = 12万"})
    assert response.status_code == 400
    assert "第 1 行" in response.content.decode()
    assert not board.rehearsals.exists()


def test_api_adds_a_task_and_refuses_done_before_its_dependency(client, make_user, board):
    as_role(client, make_user, Role.DUTY)
    migrate = board.tasks.get(title="老系统基础数据迁移")
    created = client.post(f"/api/v1/cutovers/{board.pk}/tasks", json.dumps({
        "title": "发放上线通知", "unit": "交易中心", "owner": "赵科长", "deadline": "2022-08-20T10:00:00Z",
        "depends_on": [migrate.pk]}), content_type="application/json")
    assert created.status_code == 201
    task_id = created.json()["id"]
    refused = client.post(f"/api/v1/cutovers/{board.pk}/tasks/{task_id}/status", json.dumps({"status": "done"}),
                          content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "status"
    assert Task.objects.get(pk=task_id).status == Task.Status.TODO
    unknown = client.post(f"/api/v1/cutovers/{board.pk}/tasks", json.dumps({
        "title": "x", "unit": "u", "owner": "o", "deadline": "2022-08-20T10:00:00Z", "depends_on": [99999]}),
        content_type="application/json")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "depends_on"
    board_json = client.get(f"/api/v1/cutovers/{board.pk}").json()
    assert [t["title"] for t in board_json["tasks"]][-1] == "发放上线通知"


def test_demo_cutover_predicts_from_its_rehearsals(client, make_user, clock):
    cutover = demo.load_demo()
    assert demo.load_demo() == cutover and Cutover.objects.count() == 1
    page = as_role(client, make_user, Role.COMMANDER).get(f"/cutover/{cutover.pk}/").content.decode()
    assert "根据 3 次迁移演练" in page and "小时" in page
    assert f'href="/plans/{demo.FALLBACK[0]}/scenarios/{demo.FALLBACK[1]}/"' in page
    assert "已完成 1 / 5 项任务" in page


def test_api_signs_items_records_rehearsals_and_refuses_readers(client, make_user, board, clock):
    check = services.add_check(board, "数据比对差异在容差内")
    as_role(client, make_user, Role.AUDITOR)
    sign = f"/api/v1/cutovers/{board.pk}/checks/{check.pk}/sign"
    assert client.post(sign, json.dumps({"answer": True}), content_type="application/json").status_code == 403
    as_role(client, make_user, Role.COMMANDER)
    signed = client.post(sign, json.dumps({"answer": True, "note": "差异 0"}), content_type="application/json")
    assert signed.status_code == 200 and signed.json()["signed_by"] == Role.COMMANDER.value
    rehearsals = f"/api/v1/cutovers/{board.pk}/rehearsals"
    bad = client.post(rehearsals, json.dumps({"started_at": "2022-08-10T20:00:00Z", "ended_at": "2022-08-10T19:00:00Z",
                                              "table_rows": {"挂网目录": 1000}}), content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "ended_at"
    made = client.post(rehearsals, json.dumps({"started_at": "2022-08-10T20:00:00Z", "ended_at": "2022-08-10T22:00:00Z",
                                               "table_rows": {"挂网目录": 1000}}), content_type="application/json")
    assert made.status_code == 201
    prediction = client.get(f"/api/v1/cutovers/{board.pk}").json()["prediction"]
    assert prediction == {"rehearsals": 1, "rows": 1000, "expected_seconds": 7200.0, "cautious_seconds": 7200.0}

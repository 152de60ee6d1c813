"""A plan's preparedness measures offered as checklist items: confirmed by a person (filling in
what the plan leaves open), after which the plan page shows them backed by a running check."""
import pytest

from lifeline.inspections import from_plan
from lifeline.inspections.models import CheckItem, SparePart
from lifeline.plans import services as plans

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_004(db):
    [path] = [p for p in plans.bundled_paths() if p.name.startswith("004_")]
    return plans.load_files([path])[0].plan_id


@pytest.mark.parametrize("schedule, frequency", [
    ("every day", "daily"), ("每天凌晨1点", "daily"), ("每季度", "quarterly"),
    ("middle and end of each month", "monthly"), ("每周一", "weekly"), ("regularly", ""), ("", "")])
def test_frequency_from_the_plans_words(schedule, frequency):
    assert from_plan.guess_frequency(schedule) == frequency


def test_inspection_power_and_security_measures_are_offered_with_a_guessed_frequency(plan_004):
    checks, spares = from_plan.offers()
    by_id = {o.measure.id: o for o in checks}
    assert {"server_check", "db_status_check", "antivirus_daily"} <= set(by_id)
    assert by_id["server_check"].frequency == "daily"
    assert {o.measure.kind for o in checks} <= {"inspection", "power", "security"}
    assert {o.measure.id for o in spares} >= {"network_spares"}


def test_confirming_a_measure_makes_the_item_and_the_plan_page_shows_it_backed(plan_004, it_client, probes):
    page = it_client.get("/inspections/from-plan/").content.decode()
    assert "Daily server check" in page and "确认为巡检项目" in page
    prefix = f"{plan_004}-server_check"
    response = it_client.post(f"/inspections/from-plan/{plan_004}/server_check/", {
        f"{prefix}-checklist": "机房日常巡检", f"{prefix}-frequency": "daily",
        f"{prefix}-title": "服务器巡检", f"{prefix}-reads": f"probe:{probes[0].pk}"})
    assert response.status_code == 302
    item = CheckItem.objects.get(measure_id="server_check")
    assert item.plan_id == plan_004 and item.kind == "automatic" and item.checklist.frequency == "daily"
    assert "Daily server check" not in it_client.get("/inspections/from-plan/").content.decode()
    plan_page = it_client.get(f"/plans/{plan_004}/").content.decode()
    row = plan_page[plan_page.index("Daily server check"):]
    row = row[:row.index("</tr>")]
    assert "由运行中的检查支撑" in row and f'href="/inspections/checklists/{item.checklist_id}/"' in row
    other = plan_page[plan_page.index("Daily database status check"):]
    assert "仅纸面" in other[:other.index("</tr>")]


def test_a_new_checklist_needs_a_frequency_and_nothing_is_made_without_one(plan_004, it_client):
    prefix = f"{plan_004}-antivirus_daily"
    response = it_client.post(f"/inspections/from-plan/{plan_004}/antivirus_daily/", {
        f"{prefix}-checklist": "安全巡检", f"{prefix}-frequency": "", f"{prefix}-title": "杀毒软件已更新"})
    assert response.status_code == 400 and "请选择频次" in response.content.decode()
    assert not CheckItem.objects.exists()


def test_an_unknown_measure_is_a_404(plan_004, it_client):
    response = it_client.post(f"/inspections/from-plan/{plan_004}/no_such/", {
        f"{plan_004}-no_such-checklist": "x", f"{plan_004}-no_such-frequency": "daily",
        f"{plan_004}-no_such-title": "x"})
    assert response.status_code == 404


def test_a_spare_part_for_a_plans_measure_backs_it(plan_004, it_client):
    response = it_client.post("/inspections/parts/", {
        "name": "核心交换机（备机）", "category": "core_switch", "location": "一号机房", "quantity": "1",
        "minimum": "1", "measure": f"{plan_004}/network_spares"})
    assert response.status_code == 302
    assert SparePart.objects.get().measure_id == "network_spares"
    plan_page = it_client.get(f"/plans/{plan_004}/").content.decode()
    row = plan_page[plan_page.index("Spare core switch"):]
    assert "备件“核心交换机（备机）”：库存 1，最低 1" in row[:row.index("</tr>")]

"""Declaring downtime to the workstations from an incident's page or the command dashboard
(宣布应急): commanders and IT on duty only, after a confirmation, to every station in service or
those ticked; audited with who declared it for which incident, written on the incident's
timeline; a drill incident declares a drill; bad input names the field and changes nothing."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.audit.models import AuditEntry
from lifeline.incidents import lifecycle
from lifeline.stations.models import Station
from tests.incidents.conftest import load_seed, t0  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
DECLARE = "/continuity/declare/"
BUTTON = "宣布应急（工作站转入应急模式）"


@pytest.fixture
def incident(load_seed, t0):
    return lifecycle.open_incident(plan_id=load_seed("003"), title="HIS 数据库宕机", scope="whole")


def modes(*found) -> list[str]:
    return [Station.objects.get(pk=s.pk).mode for s in found]


def test_a_commander_declares_downtime_from_the_incident_to_every_station_after_confirming(
        client, make_user, stations, incident, clock):
    client.force_login(make_user("wangwei", Role.COMMANDER))
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    link = f'href="{DECLARE}?incident={incident.pk}"'
    assert link in page and BUTTON in page

    confirm = client.get(f"{DECLARE}?incident={incident.pk}").content.decode()
    assert f"#{incident.pk} HIS 数据库宕机" in confirm and "挂号-01" in confirm and "收费-02" not in confirm
    unconfirmed = client.post(f"{DECLARE}?incident={incident.pk}", {"which": "all"})
    assert unconfirmed.status_code == 200 and "这个字段是必填项" in unconfirmed.content.decode()
    assert modes(*stations) == ["ready", "ready", "ready"]

    done = client.post(f"{DECLARE}?incident={incident.pk}", {"which": "all", "confirm": "on"})
    assert done.status_code == 302 and done.url == f"/incidents/{incident.pk}/"
    first, second, gone = (Station.objects.get(pk=s.pk) for s in stations)
    assert (first.mode, second.mode, gone.mode) == ("downtime", "downtime", "ready")
    assert first.mode_declared_by == f"wangwei · #{incident.pk} HIS 数据库宕机"
    assert first.mode_declared_at == clock.now()
    entry = AuditEntry.objects.filter(object_type="stations.station", action="update").order_by("-seq").first()
    assert entry.actor_label == "wangwei" and entry.changes["mode"] == ["ready", "downtime"]
    assert f"#{incident.pk}" in entry.changes["mode_declared_by"][1]
    noted = incident.timeline.filter(kind="mode").get()
    assert "已向 2 台应急工作站宣布应急" in noted.text and "挂号-01" in noted.text and noted.actor.username == "wangwei"
    assert "已向 2 台工作站宣布应急" in client.get(done.url).content.decode()


def test_only_the_stations_ticked_and_ticking_none_is_refused_naming_the_field(
        client, make_user, stations, incident):
    client.force_login(make_user("zhangwei", Role.DUTY))
    first, second, gone = stations
    none = client.post(f"{DECLARE}?incident={incident.pk}", {"which": "chosen", "confirm": "on"})
    assert none.status_code == 200
    assert none.context["form"].errors["stations"] == ["请至少勾选一台工作站，或选择全部在用工作站"]
    revoked = client.post(f"{DECLARE}?incident={incident.pk}",
                          {"which": "chosen", "stations": [gone.pk], "confirm": "on"})
    assert "stations" in revoked.context["form"].errors
    assert modes(*stations) == ["ready", "ready", "ready"]

    client.post(f"{DECLARE}?incident={incident.pk}", {"which": "chosen", "stations": [second.pk], "confirm": "on"})
    assert modes(*stations) == ["ready", "downtime", "ready"]


def test_a_drill_incident_declares_a_drill_and_the_dashboard_declares_without_an_incident(
        client, make_user, stations, load_seed, t0):
    drill = lifecycle.open_incident(plan_id=load_seed("003"), title="应急演练", scope="whole", is_drill=True)
    client.force_login(make_user("wangwei", Role.COMMANDER))
    confirm = client.get(f"{DECLARE}?incident={drill.pk}").content.decode()
    assert "宣布演练（工作站转入演练模式）" in confirm
    client.post(f"{DECLARE}?incident={drill.pk}", {"which": "all", "confirm": "on"})
    assert modes(*stations[:2]) == ["drill", "drill"]

    dashboard = client.get("/incidents/").content.decode()
    assert f'href="{DECLARE}"' in dashboard and BUTTON in dashboard
    client.post(DECLARE, {"which": "all", "confirm": "on"})
    assert modes(*stations[:2]) == ["downtime", "downtime"]
    assert Station.objects.get(pk=stations[0].pk).mode_declared_by == "wangwei"


def test_others_may_not_declare_and_a_wrong_or_finished_incident_changes_nothing(
        client, make_user, stations, incident):
    client.force_login(make_user("auditor", Role.AUDITOR))
    assert BUTTON not in client.get(f"/incidents/{incident.pk}/").content.decode()
    assert client.get(f"{DECLARE}?incident={incident.pk}").status_code == 403
    assert client.post(f"{DECLARE}?incident={incident.pk}", {"which": "all", "confirm": "on"}).status_code == 403

    client.force_login(make_user("wangwei", Role.COMMANDER))
    assert client.post(f"{DECLARE}?incident=999999", {"which": "all", "confirm": "on"}).status_code == 404
    assert client.get(f"{DECLARE}?incident=abc").status_code == 404
    for status in ("acknowledged", "resolved"):
        lifecycle.transition(incident, status)
    assert BUTTON not in client.get(f"/incidents/{incident.pk}/").content.decode()
    over = client.post(f"{DECLARE}?incident={incident.pk}", {"which": "all", "confirm": "on"}, follow=True)
    assert "已结束" in over.content.decode()
    assert modes(*stations) == ["ready", "ready", "ready"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_the_commander_declares_from_the_incident_and_is_back_on_it(page, live_server, login, make_user,
                                                                               stations, incident):
    make_user("wangwei", Role.COMMANDER)
    login(page, "wangwei", next_path=f"/incidents/{incident.pk}/")
    page.click(f"text={BUTTON}")
    assert page.locator("#for-incident").inner_text() == f"所属事件 #{incident.pk} HIS 数据库宕机"
    with page.expect_navigation():
        page.click("#confirm-declare")  # not confirmed yet: refused beside the box, nothing declared
    assert page.url.endswith(f"/continuity/declare/?incident={incident.pk}")
    assert modes(*stations) == ["ready", "ready", "ready"]
    page.check("input[name=confirm]")
    with page.expect_navigation():
        page.click("#confirm-declare")
    assert page.url == f"{live_server.url}/incidents/{incident.pk}/"
    assert "已向 2 台工作站宣布应急" in page.locator(".messages").inner_text()
    assert "已向 2 台应急工作站宣布应急（挂号-01、收费-01）" in page.locator("#timeline").inner_text()
    assert modes(*stations) == ["downtime", "downtime", "ready"]


def test_the_api_declares_for_an_incident_and_names_a_wrong_one(client, make_user, stations, incident):
    client.force_login(make_user("zhangwei", Role.DUTY))
    api = "/api/v1/continuity/stations/mode"
    unknown = client.post(api, {"mode": "downtime", "incident": 999999}, content_type="application/json")
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "incident"
    assert modes(*stations) == ["ready", "ready", "ready"]

    done = client.post(api, {"mode": "downtime", "station_ids": [stations[0].pk], "incident": incident.pk},
                       content_type="application/json")
    assert done.status_code == 200, done.content
    assert [s["mode_declared_by"] for s in done.json()] == [f"zhangwei · #{incident.pk} HIS 数据库宕机"]
    assert "挂号-01" in incident.timeline.get(kind="mode").text

    for status in ("acknowledged", "resolved"):
        lifecycle.transition(incident, status)
    over = client.post(api, {"mode": "ready", "incident": incident.pk}, content_type="application/json")
    assert over.status_code == 409 and "已结束" in over.json()["errors"][0]["message"]
    assert modes(*stations) == ["downtime", "ready", "ready"]

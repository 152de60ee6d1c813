"""Declaring downtime (or a drill, or ready again) to the stations from /continuity/ and the API:
every station in service takes the mode, who declared it and when; audited; readers may not;
bad input names the field and changes nothing."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.audit.models import AuditEntry
from lifeline.stations.models import Station

pytestmark = pytest.mark.django_db
API = "/api/v1/continuity/stations/mode"


def test_the_button_declares_downtime_to_every_station_in_service(client, make_user, stations, clock):
    client.force_login(make_user("zhangwei", Role.DUTY))
    page = client.get("/continuity/").content.decode()
    assert 'name="mode" value="downtime"' in page
    answer = client.post("/continuity/stations/mode/", {"mode": "downtime"}, follow=True)
    assert "已向 2 台工作站宣布应急" in answer.content.decode()
    first, second, gone = (Station.objects.get(pk=s.pk) for s in stations)
    assert (first.mode, first.mode_declared_by, first.mode_declared_at) == ("downtime", "zhangwei", clock.now())
    assert second.mode == "downtime" and gone.mode == "ready"
    entry = AuditEntry.objects.filter(object_type="stations.station", action="update").order_by("-seq").first()
    assert entry.actor_label == "zhangwei" and entry.changes["mode"] == ["ready", "downtime"]


def test_readers_may_not_declare_and_a_wrong_mode_changes_nothing(client, make_user, stations):
    client.force_login(make_user("auditor", Role.AUDITOR))
    assert client.post("/continuity/stations/mode/", {"mode": "downtime"}).status_code == 403
    assert 'value="downtime"' not in client.get("/continuity/").content.decode()
    client.force_login(make_user("zhangwei", Role.DUTY))
    client.post("/continuity/stations/mode/", {"mode": "panic"})
    assert set(Station.objects.values_list("mode", flat=True)) == {"ready"}


def test_the_api_declares_to_the_stations_named(client, make_user, stations):
    first, second, gone = stations
    client.force_login(make_user("commander", Role.COMMANDER))
    answer = client.post(API, {"mode": "drill", "station_ids": [second.pk]}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert [(s["name"], s["mode"]) for s in answer.json()] == [("收费-01", "drill")]
    assert Station.objects.get(pk=first.pk).mode == "ready"
    for body, field in [({"mode": "panic"}, "mode"), ({"mode": "drill", "station_ids": [gone.pk]}, "station_ids")]:
        refused = client.post(API, body, content_type="application/json")
        assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == field
    assert Station.objects.get(pk=first.pk).mode == "ready"

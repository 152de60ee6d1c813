"""A downtime drill takes chosen emergency workstations into drill mode while it runs (the
cashiers practise on real base data, nothing merged) and gives them back as ready; a station
in a real downtime is never taken for a drill."""
import pytest

from lifeline.drills.models import Drill
from lifeline.stations import registry
from lifeline.stations.models import Station
from tests.errors import problems

pytestmark = pytest.mark.django_db
BODY = {"plan_id": "internet_hospital", "scenario_id": "network_outage", "planned_at": "2026-12-08T01:00:00Z"}


@pytest.fixture
def stations(db):
    made = (("门诊收费1", "门诊收费处"), ("门诊药房1", "门诊药房"), ("急诊收费", "急诊收费处"))
    return [registry.create(name=name, department=department)[0] for name, department in made]


def modes():
    return dict(Station.objects.values_list("name", "mode"))


def test_a_downtime_drill_puts_its_stations_in_drill_mode_and_back(plan_001, morning, it_client, stations):
    cashier, pharmacy, _ = stations
    created = it_client.post("/api/v1/drills", BODY | {"stations": [cashier.pk, pharmacy.pk]},
                             content_type="application/json")
    assert created.status_code == 201 and created.json()["station_ids"] == sorted([cashier.pk, pharmacy.pk])
    url = f"/api/v1/drills/{created.json()['id']}"
    assert modes() == {"门诊收费1": "ready", "门诊药房1": "ready", "急诊收费": "ready"}, "planning changes no station"

    assert it_client.post(f"{url}/start").json()["status"] == "running"
    assert modes() == {"门诊收费1": "drill", "门诊药房1": "drill", "急诊收费": "ready"}
    # What the station hears on its next pull: the listing it reads names the mode and who declared it.
    listed = {s["name"]: s for s in it_client.get("/api/v1/continuity/stations").json()}
    assert listed["门诊收费1"]["mode"] == "drill" and "演练" in listed["门诊收费1"]["mode_declared_by"]

    morning.advance(minutes=40)
    assert it_client.post(f"{url}/end").json()["status"] == "ended"
    assert modes() == {"门诊收费1": "ready", "门诊药房1": "ready", "急诊收费": "ready"}


def test_a_station_in_a_real_downtime_is_not_taken_for_a_drill(plan_001, morning, it_client, stations):
    cashier, pharmacy, _ = stations
    drill = it_client.post("/api/v1/drills", BODY | {"stations": [cashier.pk, pharmacy.pk]},
                           content_type="application/json").json()
    registry.declare(Station.Mode.DOWNTIME, by="liqiang", now=morning.now(), station_ids=[pharmacy.pk])

    refused = it_client.post(f"/api/v1/drills/{drill['id']}/start")
    assert refused.status_code == 409
    assert "门诊药房1" in problems(refused)["stations"] and "真实应急" in problems(refused)["stations"]
    assert Drill.objects.get().status == "planned" and Drill.objects.get().incident is None
    assert modes() == {"门诊收费1": "ready", "门诊药房1": "downtime", "急诊收费": "ready"}, "nothing changed"


def test_a_downtime_declared_during_the_drill_outlasts_it(plan_001, morning, it_client, stations):
    cashier, pharmacy, _ = stations
    drill = it_client.post("/api/v1/drills", BODY | {"stations": [cashier.pk, pharmacy.pk]},
                           content_type="application/json").json()
    it_client.post(f"/api/v1/drills/{drill['id']}/start")
    registry.declare(Station.Mode.DOWNTIME, by="liqiang", now=morning.now(), station_ids=[cashier.pk])
    it_client.post(f"/api/v1/drills/{drill['id']}/end")
    assert modes() == {"门诊收费1": "downtime", "门诊药房1": "ready", "急诊收费": "ready"}


def test_unknown_or_revoked_stations_are_refused(plan_001, morning, it_client, stations):
    registry.revoke(stations[2], morning.now())
    for ids in ([999], [stations[2].pk]):
        refused = it_client.post("/api/v1/drills", BODY | {"stations": ids}, content_type="application/json")
        assert refused.status_code == 400 and str(ids[0]) in problems(refused)["stations"]
    assert not Drill.objects.exists()


def test_the_drill_page_offers_the_stations_and_shows_them(plan_001, morning, it_client, stations):
    form = it_client.get("/drills/").content.decode()
    assert "演练模式的工作站" in form and "门诊收费1" in form and "急诊收费" in form
    posted = it_client.post("/drills/", {"scenario": "internet_hospital:network_outage",
                                         "planned_at": "2026-12-08 09:00", "length_minutes": 60,
                                         "stations": [stations[0].pk]})
    assert posted.status_code == 302
    drill = Drill.objects.get()
    assert list(drill.stations.all()) == [stations[0]]
    it_client.post(f"/drills/{drill.pk}/start/")
    page = it_client.get(f"/drills/{drill.pk}/").content.decode()
    assert "演练模式的工作站：门诊收费1（演练）" in page

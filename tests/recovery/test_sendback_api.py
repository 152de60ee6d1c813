"""POST/GET /api/v1/continuity/stations/journal: a station's token only, the head answered, a
batch bounded, a refusal in the one error shape naming the sequence number."""
import pytest

from lifeline.recovery.api import MAX_BATCH
from lifeline.recovery.models import ReceivedEvent, StationJournal
from lifeline.workstation.journal import GENESIS
from tests.recovery.events import chain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
URL = "/api/v1/continuity/stations/journal"


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client, token, body):
    return client.post(URL, body, content_type="application/json", **bearer(token))


def test_a_station_sends_and_hears_the_head(client, station):
    record, token = station
    assert client.get(URL, **bearer(token)).json() == {"seq": 0, "hash": GENESIS, "received": 0, "duplicates": 0}
    events = chain(3)
    answer = post(client, token, {"held": 7, "events": events})
    assert answer.status_code == 200
    assert answer.json() == {"seq": 3, "hash": events[-1]["hash"], "received": 3, "duplicates": 0}
    assert client.get(URL, **bearer(token)).json()["seq"] == 3
    journal = StationJournal.objects.get(station=record)
    assert journal.held == 7 and journal.held_reported_at is not None
    assert post(client, token, {"held": 7, "events": events}).json()["duplicates"] == 3


def test_a_gap_is_refused_with_409_naming_the_sequence_number(client, station):
    _record, token = station
    events = chain(4)
    answer = post(client, token, {"held": 4, "events": [events[0], events[2]]})
    assert answer.status_code == 409
    (error,) = answer.json()["errors"]
    assert error["field"] == "events[1]" and "3" in error["message"]
    assert ReceivedEvent.objects.count() == 0


def test_a_batch_too_large_is_refused_naming_the_field(client, station):
    _record, token = station
    answer = post(client, token, {"held": MAX_BATCH + 1, "events": chain(MAX_BATCH + 1)})
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["field"] == "events" and str(MAX_BATCH) in answer.json()["errors"][0]["message"]
    assert ReceivedEvent.objects.count() == 0


def test_held_must_be_a_count(client, station):
    answer = post(client, station[1], {"held": -1, "events": []})
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "held"


def test_only_a_station_token_may_send(client, admin_client, station):
    assert client.get(URL).status_code == 401
    assert post(client, "st_wrong", {"held": 0, "events": []}).status_code == 401
    assert admin_client.post(URL, {"held": 0, "events": []}, content_type="application/json").status_code == 401

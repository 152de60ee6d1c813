"""receive(): the chain continues or nothing is stored; what is held already is skipped."""
import pytest

from lifeline.audit.models import AuditEntry
from lifeline.core.errors import Refused
from lifeline.recovery.models import ReceivedEvent, StationJournal
from lifeline.recovery.receiving import head, receive
from lifeline.stations import registry
from lifeline.workstation.journal import GENESIS
from tests.recovery.events import chain, rehashed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def station():
    return registry.create(name="挂号-01", department="门诊")[0]


def stored(station):
    return list(ReceivedEvent.objects.filter(station=station).order_by("seq").values_list("seq", "hash"))


def journal_audits():
    return AuditEntry.objects.filter(object_type="recovery.stationjournal").count()


def test_events_are_stored_once_and_a_resend_changes_nothing(station):
    events = chain(5)
    receipt = receive(station, events[:3], "network", held=5)
    assert (receipt.received, receipt.duplicates, receipt.head_seq) == (3, 0, 3)
    again = receive(station, events, "network", held=5)  # a resend overlapping the first
    assert (again.received, again.duplicates, again.head_seq, again.head_hash) == (2, 3, 5, events[-1]["hash"])
    assert stored(station) == [(e["seq"], e["hash"]) for e in events]
    assert receive(station, events, "usb").received == 0
    assert stored(station) == [(e["seq"], e["hash"]) for e in events]
    journal = StationJournal.objects.get(station=station)
    assert (journal.received_seq, journal.held, journal.last_event_at.isoformat()) == (5, 5, events[-1]["recorded_at"])
    assert journal_audits() == 2  # one per delivery that added events, none for the one that did not
    assert ReceivedEvent.objects.get(seq=4).via == "network"


def refused(station, events, via="network"):
    before = stored(station), head(station)
    with pytest.raises(Refused) as caught:
        receive(station, events, via)
    assert (stored(station), head(station)) == before  # nothing stored
    return caught.value


def test_a_gap_is_refused_naming_the_sequence_number(station):
    events = chain(6)
    receive(station, events[:2], "network")
    found = refused(station, events[3:])
    assert found.field == "events[0]" and "sequence number 4" in found.message and "3 to 3 are missing" in found.message


def test_a_reorder_is_refused_naming_the_sequence_number(station):
    events = chain(4)
    found = refused(station, [events[0], events[2], events[1], events[3]])
    assert found.field == "events[1]" and "sequence number 3" in found.message


def test_a_batch_with_a_bad_event_after_good_ones_stores_none_of_them(station):
    events = chain(4)
    events[3] = {**events[3], "payload": {"invoice_no": "FP000004", "amount": "0.98"}}  # edited, hash kept
    found = refused(station, events)
    assert found.field == "events[3]" and "sequence number 4" in found.message and "changed" in found.message
    assert not StationJournal.objects.filter(station=station).exists()


def test_an_edited_event_is_refused_even_when_the_rest_of_the_chain_is_rehashed(station):
    events = chain(4)
    receive(station, events[:2], "network")
    forged = rehashed([{**events[1], "payload": {"amount": "0.01"}}, events[2]], events[0]["hash"])
    found = refused(station, forged)
    assert found.field == "events[0]" and "sequence number 2" in found.message
    assert "held here with another hash" in found.message


def test_an_event_id_held_with_another_hash_is_refused(station):
    other = registry.create(name="收费-01", department="门诊")[0]
    theirs = chain(1)
    receive(other, theirs, "network")
    mine = rehashed([{**chain(1)[0], "event_id": theirs[0]["event_id"]}], GENESIS)
    found = refused(station, mine)
    assert "sequence number 1" in found.message and theirs[0]["event_id"] in found.message


def test_a_broken_previous_hash_is_refused(station):
    events = chain(3)
    receive(station, events[:1], "network")
    found = refused(station, [{**events[1], "prev_hash": "f" * 64}])
    assert "sequence number 2" in found.message and "previous hash" in found.message


@pytest.mark.parametrize("field,value,reason", [
    ("seq", "7", "whole number"), ("hash", "xyz", "64 hexadecimal"), ("mode", "live", "mode must be"),
    ("payload", [1], "JSON object"), ("recorded_at", "yesterday", "recorded_at"), ("event_id", "x" * 41, "at most 40"),
])
def test_a_malformed_event_is_refused_naming_the_field(station, field, value, reason):
    events = chain(2)
    events[1] = {**events[1], field: value}
    found = refused(station, events)
    assert found.field == f"events[1].{field}" and reason in found.message


def test_a_missing_field_is_named(station):
    event = chain(1)[0]
    del event["operator"]
    assert refused(station, [event]).field == "events[0].operator"

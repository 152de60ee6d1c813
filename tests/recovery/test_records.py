"""records_of: every kind of journal event as the HIS's emergency records (canonical RECORDS)."""
from decimal import Decimal

import pytest

from lifeline.his.canonical import RECORDS
from lifeline.recovery.records import KINDS, UnknownEvent, records_of
from lifeline.workstation.journal import DRILL
from tests.recovery.merge_data import Facts, Journal, receive

F = Facts(patient={"card_no": "0000001", "name": "张三", "birth_date": "1980-01-02", "id_card_no": None},
          drugs=[("Y001", "12.50", "甲"), ("Y002", "3.20", "乙")], pharmacy="YF01", stock={},
          item=("Z100", "8.00", "丙"), schedule=("501", "NK", "D01", "10.00"))


@pytest.fixture
def journal():
    return Journal("收费-01", 900000)


def only(records):
    assert len(records) == 1
    return records[0]


def checked(kind, record):
    """The record passes the canonical record's rules, as the writer checks it."""
    return RECORDS[kind].clean(record)


def test_new_patient_and_registration(journal):
    card = journal.new_patient("李四", "1975-03-04", id_card_no="11010519491231002X", sex="2")
    event = journal.events[-1]
    kind, record = only(records_of(event))
    assert kind == "new_patient"
    assert checked(kind, record)["card_no"] == card
    assert record | {"event_id": event["event_id"], "station": "收费-01", "operator_code": "S001",
                     "recorded_at": event["recorded_at"], "name": "李四", "sex": "2",
                     "id_card_no": "11010519491231002X"} == record
    journal.register(card, F.schedule)
    kind, record = only(records_of(journal.events[-1]))
    assert (kind, record["card_no"], record["schedule_id"], record["fee"]) == ("registration", card, "501", "10.00")
    checked(kind, record)


def test_a_charge_gives_one_record_per_line_numbered(journal):
    journal.charge("T1", "V1", 5001, [("drug", F.drugs[0], 2), ("price_item", F.item, 1)])
    event = journal.events[-1]
    records = records_of(event)
    assert [r["event_id"] for _k, r in records] == [f"{event['event_id']}/1", f"{event['event_id']}/2"]
    first, second = (checked(k, r) for k, r in records)
    assert (first["item_code"], first["quantity"], first["amount"], first["insurance_category"]) == \
        ("Y001", Decimal(2), Decimal("25.00"), "甲")
    assert (second["item_kind"], second["invoice_no"], second["payment_method"]) == ("price_item", 5001, "cash")
    assert second["refund_of"] is None


@pytest.mark.parametrize("cancel", ["void", "refund"])
def test_a_void_or_refund_gives_the_original_lines_negative(journal, cancel):
    charge_no = journal.charge("T1", "V1", 5001, [("drug", F.drugs[0], 2), ("price_item", F.item, 1)])
    original = journal.events[-1]
    journal.cancel(charge_no, cancel)
    event = journal.events[-1]
    by_number = {(original["station"], charge_no): original}
    records = [checked(k, r) for k, r in records_of(event, charges=lambda s, no: by_number.get((s, no)))]
    assert [(r["event_id"], r["invoice_no"], r["quantity"], r["amount"], r["refund_of"]) for r in records] == [
        (f"{event['event_id']}/1", 5001, Decimal(-2), Decimal("-25.00"), original["event_id"]),
        (f"{event['event_id']}/2", 5001, Decimal(-1), Decimal("-8.00"), original["event_id"])]
    assert sum(r["amount"] for r in records) == -journal.charges[charge_no]


def test_a_refund_of_a_charge_never_received_is_refused(journal):
    journal.record("refund", {"charge_no": "77", "amount": "1.00", "reason": "x"})
    with pytest.raises(UnknownEvent, match="charge 77"):
        records_of(journal.events[-1], charges=lambda s, no: None)


@pytest.mark.django_db
def test_a_received_refund_finds_its_charge_among_the_station_s_events(journal):
    charge_no = journal.charge("T1", "V1", 5001, [("price_item", F.item, 3)])
    journal.cancel(charge_no)
    station = receive("收费-01", journal.events)
    refund = station.received_events.get(kind="refund")
    [(kind, record)] = records_of(refund)
    assert (record["quantity"], record["refund_of"]) == ("-3", journal.events[0]["event_id"])


def test_prescription_dispensing_and_manual_dispensing(journal):
    presc = journal.prescribe("V1", "T1", "D01", "YF01", [("Y001", 2), ("Y002", 1)])
    records = records_of(journal.events[-1])
    assert [(k, r["presc_no"], r["drug_code"], r["quantity"], r["dosage"]) for k, r in records] == [
        ("prescription", presc, "Y001", "2", "一日三次"), ("prescription", presc, "Y002", "1", "一日三次")]
    journal.dispense("88", "T1", "YF01", [("Y001", 2)])
    kind, record = only(records_of(journal.events[-1]))
    assert (kind, record["presc_no"], record["pharmacy_code"], record["quantity"]) == ("dispensing", "88", "YF01", "2")
    journal.dispense_by_hand("SLIP-7", "0000001", "YF01", [("Y002", 4)])
    kind, record = only(records_of(journal.events[-1]))
    assert (kind, record["presc_no"], record["drug_code"], record["quantity"]) == ("dispensing", "SLIP-7", "Y002", "4")
    for kind, record in records:
        checked(kind, record)


def test_the_station_s_own_events_and_drills_give_nothing(journal):
    journal.declare(DRILL)
    journal.record("invoice_number_set", {"invoice_no": 5001, "range_id": "R1"})
    journal.record("prices_confirmed", {"price_version": "x", "package_id": "y"})
    journal.record("lease_received", {"lease_id": "L1", "kind": "visit", "first": 1, "last": 9})
    card = journal.new_patient("演练", "1990-01-01")
    journal.register(card, F.schedule)
    assert [records_of(e) for e in journal.events] == [[]] * 6
    assert {e["kind"] for e in journal.events} | {"charge", "void", "refund", "prescription", "dispensing",
                                                   "manual_dispensing"} == KINDS


def test_an_unknown_kind_is_refused_by_name(journal):
    journal.record("teleport", {})
    with pytest.raises(UnknownEvent, match="'teleport'"):
        records_of(journal.events[-1])

"""The desk services: registration and cards, charging, prescriptions, dispensing; every refusal
names its field and writes nothing."""

from decimal import Decimal

import pytest

from lifeline.workstation import charging, pharmacy, prescriptions, registration, search, store
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import DRILL, READY, InForce, verify
from lifeline.workstation.station import Operator, Station
from tests.workstation.base_data import write_base
from tests.workstation.conftest import REGISTRAR, UNTIL, lease_all

CASHIER = Operator("0201", "赵收费", "cashier", UNTIL)
PHARMACIST = Operator("0301", "孙药师", "pharmacist", UNTIL)


@pytest.fixture
def cashier(station):
    charging.set_invoice_number(station, CASHIER, "1000")
    return station


def _refused(station, field, action, *args, **kwargs):
    """The action is refused naming `field`, and nothing is written."""
    before = station.journal.count()
    rows = {t: station.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("visits", "charges", "issued", "stock_moves", "dispensings", "new_patients")}
    with pytest.raises(StationRefused) as refused:
        action(station, *args, **kwargs)
    assert refused.value.field == field, refused.value
    assert station.journal.count() == before
    assert rows == {t: station.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in rows}
    return refused.value


def test_a_known_patient_registers_and_a_new_one_gets_a_temporary_card(station):
    visit = registration.register_visit(station, REGISTRAR, "C0001", "S-AM-1").payload
    assert visit == {"visit_no": "100001", "card_no": "C0001", "schedule_id": "S-AM-1", "department_code": "D01",
                     "doctor_code": "0101", "fee": "20.00", "free_of_fee": False}
    card = registration.issue_card(station, REGISTRAR, {"name": "王五", "sex": "1", "birth_date": "1990-03-04",
                                                        "phone": "13900139000"}).payload
    assert card["card_no"] == "100001" and card["temporary"] is True
    again = registration.register_visit(station, REGISTRAR, card["card_no"], "S-AM-2", free_of_fee=True).payload
    assert (again["visit_no"], again["fee"]) == ("100002", "0.00")
    assert [e.kind for e in station.journal.events(after=4)] == ["registration", "new_patient", "registration"]
    assert all(e.operator == "0401" for e in station.journal.events(after=4))


def test_registration_refusals_name_the_field(station, station_clock):
    _refused(station, "card_no", registration.register_visit, REGISTRAR, "C9999", "S-AM-1")
    _refused(station, "schedule_id", registration.register_visit, REGISTRAR, "C0001", "S-XX")
    _refused(station, "id_card_no", registration.issue_card, REGISTRAR, {
        "name": "王五", "sex": "1", "birth_date": "1990-03-04", "id_card_no": "110101199003041234"})
    _refused(station, "sex", registration.issue_card, REGISTRAR, {"name": "王五", "sex": "M",
                                                                  "birth_date": "1990-03-04"})
    station_clock.now = UNTIL.replace(second=1)
    assert "expired" in _refused(station, "operator", registration.register_visit, REGISTRAR, "C0001",
                                 "S-AM-1").message


def test_an_exhausted_range_refuses_registration(tmp_path, key, in_force, station_clock):
    write_base(tmp_path, key)
    station = Station.open(tmp_path, key, in_force, station_clock, low_water=2)
    lease_all(station, size=1)
    assert all(supply.low and not supply.exhausted for supply in station.supplies())
    registration.register_visit(station, REGISTRAR, "C0001", "S-AM-1")
    assert [s.kind for s in station.supplies() if s.exhausted] == ["visit"]
    _refused(station, "visit", registration.register_visit, REGISTRAR, "C0001", "S-AM-1")
    station.close()


LINES = [{"item_kind": "price_item", "item_code": "F001", "quantity": "1", "unit_price": "25.00"},
         {"item_kind": "drug", "item_code": "Y001", "quantity": "2", "unit_price": "12.50"}]


def test_a_charge_at_snapshot_prices_with_a_pending_insurance_settlement(cashier):
    done = charging.charge(cashier, CASHIER, "C0002", "1000", LINES, "wechat", insurance_no="YB0002",
                           insurance_unit="某某公司").payload
    assert (done["charge_no"], done["invoice_no"], done["total"], done["settlement"]) == \
        ("100001", 1000, "50.00", "pending_insurance")
    assert [line["amount"] for line in done["lines"]] == ["25.00", "25.00"]
    plain = charging.charge(cashier, CASHIER, "C0001", "1001", LINES[:1], "cash").payload
    assert (plain["charge_no"], plain["settlement"], plain["insurance_no"]) == ("100002", "self_pay", None)
    voided = charging.cancel(cashier, CASHIER, "100002", "打印错误", "void").payload
    assert voided == {"charge_no": "100002", "amount": "25.00", "reason": "打印错误"}
    _refused(cashier, "charge_no", charging.cancel, CASHIER, "100002", "again", "refund")
    assert [e.kind for e in cashier.journal.events(after=5)] == ["charge", "charge", "void"]


@pytest.mark.parametrize("change, field", [
    ({"invoice_no": "1001"}, "invoice_no"),
    ({"invoice_no": "x"}, "invoice_no"),
    ({"card_no": "C9999"}, "card_no"),
    ({"payment_method": "credit"}, "payment_method"),
    ({"insurance_no": "YB0002"}, "insurance_unit"),
    ({"visit_no": "999"}, "visit_no"),
    ({"lines": [{**LINES[0], "unit_price": "20.00"}]}, "lines.0.unit_price"),
    ({"lines": [LINES[0], {**LINES[1], "item_code": "Y999"}]}, "lines.1.item_code"),
    ({"lines": [{**LINES[0], "quantity": "0"}]}, "lines.0.quantity"),
    ({"lines": [{**LINES[0], "item_kind": "bed"}]}, "lines.0.item_kind"),
    ({"lines": []}, "lines"),
])
def test_charge_refusals_name_the_field(cashier, change, field):
    args = {"card_no": "C0001", "invoice_no": "1000", "lines": LINES, "payment_method": "cash", **change}
    _refused(cashier, field, charging.charge, CASHIER, **args)


def test_the_invoice_number_must_be_in_the_cashiers_range(station):
    _refused(station, "invoice_no", charging.set_invoice_number, CASHIER, "5000")  # another cashier's
    _refused(station, "invoice_no", charging.charge, CASHIER, "C0001", "1000", LINES, "cash")  # none set
    other = Operator("0202", "钱收费", "cashier", UNTIL)
    charging.set_invoice_number(station, other, "5002")
    charging.charge(station, other, "C0001", "5002", LINES[:1], "cash")
    assert "used up" in _refused(station, "invoice_no", charging.charge, other, "C0001", "5003", LINES[:1],
                                 "cash").message


def test_an_invoice_number_used_on_the_station_is_refused_not_crashed_on(cashier):
    charging.charge(cashier, CASHIER, "C0001", "1000", LINES[:1], "cash")  # charge 100001
    assert "100001" in _refused(cashier, "invoice_no", charging.set_invoice_number, CASHIER, "1000").message
    charging.set_invoice_number(cashier, CASHIER, "1002")  # a spoiled sheet skipped
    charging.charge(cashier, CASHIER, "C0001", "1002", LINES[:1], "cash")  # charge 100002
    # Back to the skipped sheet: it is used, and the next number, used already, is refused.
    charging.set_invoice_number(cashier, CASHIER, "1001")
    charging.charge(cashier, CASHIER, "C0001", "1001", LINES[:1], "cash")
    assert "100002" in _refused(cashier, "invoice_no", charging.charge, CASHIER, "C0001", "1002", LINES[:1],
                                "cash").message


def test_a_back_entered_prescription_takes_stock_and_the_pharmacy_dispenses_its_charge(cashier):
    visit = registration.register_visit(cashier, CASHIER, "C0001", "S-AM-1", free_of_fee=True).payload
    lines = [{"drug_code": "Y001", "quantity": "14", "dosage": "一次2粒 一日3次"}]
    presc = prescriptions.enter(cashier, CASHIER, visit["visit_no"], "0101", "PH1", lines).payload
    assert presc["presc_no"] == "100001" and presc["lines"][0]["quantity"] == "14"
    _refused(cashier, "lines.0.quantity", prescriptions.enter, CASHIER, visit["visit_no"], "0101", "PH1",
             [{"drug_code": "Y001", "quantity": "2"}])  # 15 in stock, 14 taken
    done = charging.charge(cashier, CASHIER, "C0001", "1000", [LINES[1]], "cash", visit_no=visit["visit_no"]).payload
    given = pharmacy.dispense(cashier, PHARMACIST, done["charge_no"], "PH1").payload
    assert given["lines"] == [{"drug_code": "Y001", "quantity": "2"}]
    _refused(cashier, "charge_no", pharmacy.dispense, PHARMACIST, done["charge_no"], "PH1")
    _refused(cashier, "charge_no", charging.cancel, CASHIER, done["charge_no"], "patient left", "refund")


@pytest.mark.parametrize("change, field", [
    ({"visit_no": "999"}, "visit_no"), ({"doctor_code": "0201"}, "doctor_code"),
    ({"pharmacy_code": "D01"}, "pharmacy_code"), ({"lines": [{"drug_code": "Y999", "quantity": "1"}]},
                                                  "lines.0.drug_code"),
    ({"lines": [{"drug_code": "Y002", "quantity": "2"}, {"drug_code": "Y002", "quantity": "2"}]},
     "lines.1.quantity"),
])
def test_prescription_refusals_name_the_field(station, change, field):
    visit = registration.register_visit(station, REGISTRAR, "C0001", "S-AM-1").payload
    args = {"visit_no": visit["visit_no"], "doctor_code": "0101", "pharmacy_code": "PH1",
            "lines": [{"drug_code": "Y002", "quantity": "1"}], **change}
    _refused(station, field, prescriptions.enter, CASHIER, **args)


def test_a_receipt_from_another_station_and_manual_dispensing(station):
    receipt = {"charge_no": "300001", "card_no": "C0002",
               "lines": [{"item_kind": "drug", "item_code": "Y002", "quantity": "1"}]}
    _refused(station, "charge_no", pharmacy.dispense, PHARMACIST, "300001", "PH1")
    given = pharmacy.dispense(station, PHARMACIST, "300001", "PH1", receipt=receipt).payload
    assert given["lines"] == [{"drug_code": "Y002", "quantity": "1"}]
    by_hand = pharmacy.dispense_by_hand(station, PHARMACIST, "纸-0007", "C0002", "PH1",
                                        [{"drug_code": "Y002", "quantity": "3"}]).payload
    assert by_hand["slip_no"] == "纸-0007"
    _refused(station, "slip_no", pharmacy.dispense_by_hand, PHARMACIST, "纸-0007", "C0002", "PH1",
             [{"drug_code": "Y001", "quantity": "1"}])
    _refused(station, "lines.0.quantity", pharmacy.dispense_by_hand, PHARMACIST, "纸-0008", "C0002", "PH1",
             [{"drug_code": "Y002", "quantity": "1"}])  # 3 in stock, 3 given by hand
    assert verify(station.db).ok


def test_the_base_data_is_read_only_at_the_desk(station):
    with pytest.raises(store.Error, match="readonly"):
        station.db.execute("DELETE FROM base.patient")


def test_a_ready_station_looks_up_but_does_no_desk_work(tmp_path, key, station_clock):
    write_base(tmp_path, key)
    station = Station.open(tmp_path, key, InForce("S1", "full-1", "v1", READY), station_clock)
    lease_all(station)  # leases arrive while the server is reachable, before any downtime
    _refused(station, "", registration.register_visit, REGISTRAR, "C0001", "S-AM-1")
    assert [p["card_no"] for p in search.find(station.db, "card_no", "C0001")] == ["C0001"]
    station.close()


def test_drill_events_are_marked(tmp_path, key, station_clock):
    write_base(tmp_path, key)
    station = Station.open(tmp_path, key, InForce("S1", "full-1", "v1", DRILL), station_clock)
    lease_all(station)
    assert registration.register_visit(station, REGISTRAR, "C0001", "S-AM-1").mode == "drill"
    station.close()


def test_a_cashiers_takings_for_the_handover(cashier):
    charging.charge(cashier, CASHIER, "C0002", "1000", LINES, "wechat", insurance_no="YB0002",
                    insurance_unit="某某公司")
    spoiled = charging.charge(cashier, CASHIER, "C0001", "1001", LINES[:1], "cash").payload
    returned = charging.charge(cashier, CASHIER, "C0001", "1002", LINES[:1], "cash").payload
    charging.charge(cashier, CASHIER, "C0001", "1003", LINES, "cash")
    charging.cancel(cashier, CASHIER, spoiled["charge_no"], "打印错误", "void")
    charging.cancel(cashier, CASHIER, returned["charge_no"], "未检查", "refund")
    found = charging.takings(cashier, CASHIER.code)
    assert found["by_method"] == {
        "wechat": {"charged": Decimal("50.00"), "voided": 0, "refunded": 0, "net": Decimal("50.00")},
        "cash": {"charged": Decimal("100.00"), "voided": Decimal("25.00"), "refunded": Decimal("25.00"),
                 "net": Decimal("50.00")}}
    assert (found["net"], found["pending_insurance"]) == (Decimal("100.00"), Decimal("50.00"))
    assert (found["invoices"], found["voided_invoices"]) == ((1000, 1003), [1001])
    assert charging.takings(cashier, "0202")["net"] == 0


@pytest.mark.parametrize("operator, action, args", [
    (PHARMACIST, charging.charge, ("C0001", "1000", LINES, "cash")),
    (REGISTRAR, charging.cancel, ("100001", "x")),
    (CASHIER, pharmacy.dispense, ("100001", "PH1")),
    (PHARMACIST, registration.register_visit, ("C0001", "S-AM-1")),
    (REGISTRAR, prescriptions.enter, ("100001", "0101", "PH1", [])),
])
def test_each_desk_action_is_for_its_roles(cashier, operator, action, args):
    assert "may not" in _refused(cashier, "operator", action, operator, *args).message

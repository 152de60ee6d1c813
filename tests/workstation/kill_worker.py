"""One station process of the kill test: `python -m tests.workstation.kill_worker DIR STATION TOTAL`.

Works until the station's journal holds TOTAL desk transactions, continuing where a killed run
stopped. Each step's transaction is drawn from a generator seeded by station and step, so a
restart carries on with the same mix. After each COMMIT it prints the event ("ack SEQ EVENT_ID
KIND"): what the driver was told is what must survive a kill -9.
"""
import random
import sys
from datetime import UTC, datetime
from pathlib import Path

from lifeline.workstation import charging, pharmacy, prescriptions, registration, store
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import Event, InForce
from lifeline.workstation.station import Operator, Station

DESK = ("registration", "new_patient", "charge", "void", "refund", "prescription", "dispensing", "manual_dispensing")
UNTIL = datetime(2099, 1, 1, tzinfo=UTC)
PHARMACIST = Operator("0301", "药师", "pharmacist", UNTIL)
ITEMS = [{"item_kind": "price_item", "item_code": "F001", "quantity": "1", "unit_price": "25.00"},
         {"item_kind": "drug", "item_code": "Y001", "quantity": "2", "unit_price": "12.50"}]


def cashier_of(station: str) -> str:
    return "02" + station[1:].zfill(2)


def main(directory: Path, name: str, total: int):
    key = store.data_key(directory.parent / "station.key")
    station = Station.open(directory, key, InForce(name, "full-1", "price_item:1/drug:1"),
                           lambda: datetime.now(UTC))
    cashier = Operator(cashier_of(name), "收费员", "cashier", UNTIL)
    marks = ",".join("?" * len(DESK))
    done = station.one(f"SELECT count(*) FROM journal WHERE kind IN ({marks})", DESK)[0]
    if station.one("SELECT 1 FROM cashier_invoices") is None:
        charging.set_invoice_number(station, cashier, first_invoice(station, cashier.code))
    while done < total:
        event = step(station, cashier, random.Random(f"{name}:{done}"))
        print("ack", event.seq, event.event_id, event.kind, flush=True)
        done += 1
    print("done", flush=True)


def first_invoice(station, cashier_code):
    return station.one("SELECT first_no FROM base.invoice_range WHERE cashier_code = ?", (cashier_code,))[0]


def step(station: Station, cashier: Operator, rng: random.Random) -> Event:
    """One desk transaction; one that the station's state does not allow yet is a registration."""
    choice = rng.choice(["registration", "new_card", "charge", "charge_insured", "void", "prescription",
                         "dispensing", "manual"])
    try:
        return ACTIONS[choice](station, cashier, rng)
    except StationRefused:
        return registration.register_visit(station, cashier, rng.choice(["C0001", "C0002"]), "S-AM-2")


def _last(station, sql):
    row = station.one(sql)
    if row is None:
        raise StationRefused("", "nothing to act on yet")
    return row[0]


def _invoice(station, cashier):
    return station.one("SELECT next_no FROM cashier_invoices WHERE cashier_code = ?", (cashier.code,))[0]


ACTIONS = {
    "registration": lambda s, c, rng: registration.register_visit(s, c, rng.choice(["C0001", "C0002"]),
                                                                  rng.choice(["S-AM-1", "S-AM-2"])),
    "new_card": lambda s, c, rng: registration.issue_card(s, c, {"name": "新患者", "sex": rng.choice("12"),
                                                                 "birth_date": "1990-01-01"}),
    "charge": lambda s, c, rng: charging.charge(s, c, "C0001", _invoice(s, c), ITEMS[:rng.randint(1, 2)], "cash"),
    "charge_insured": lambda s, c, rng: charging.charge(s, c, "C0002", _invoice(s, c), ITEMS, "bank_card",
                                                        insurance_no="YB0002", insurance_unit="某某公司"),
    "void": lambda s, c, rng: charging.cancel(
        s, c, _last(s, "SELECT charge_no FROM charges c WHERE status = 'paid' AND NOT EXISTS "
                       "(SELECT 1 FROM dispensings WHERE slip = 'charge:' || c.charge_no) ORDER BY seq DESC"),
        "作废", rng.choice(["void", "refund"])),
    "prescription": lambda s, c, rng: prescriptions.enter(
        s, c, _last(s, "SELECT visit_no FROM visits ORDER BY seq DESC"), "0101", "PH1",
        [{"drug_code": "Y001", "quantity": "2", "dosage": "一次1粒"}]),
    "dispensing": lambda s, c, rng: pharmacy.dispense(
        s, PHARMACIST, _last(s, "SELECT c.charge_no FROM charges c JOIN charge_lines l ON l.charge_no = c.charge_no "
                       "AND l.item_kind = 'drug' WHERE c.status = 'paid' AND NOT EXISTS (SELECT 1 FROM dispensings "
                       "WHERE slip = 'charge:' || c.charge_no) ORDER BY c.seq DESC"), "PH1"),
    "manual": lambda s, c, rng: pharmacy.dispense_by_hand(s, PHARMACIST, f"纸-{rng.getrandbits(48):x}", "C0001",
                                                          "PH1", [{"drug_code": "Y002", "quantity": "1"}]),
}

if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))

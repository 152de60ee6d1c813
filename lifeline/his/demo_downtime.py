"""A downtime's emergency work at the demo HIS, as merge-back receives it: journal events of a
few stations (lifeline.his.writer.Change) with their canonical records, for the tests and the
merge-back benchmark.

    changes = downtime_changes(url, events=20_000, seed=1)

Codes (departments, doctors, drugs, charge items, pharmacies, cashiers, invoice ranges) are read
from the demo HIS at `url`, so every record refers to what the HIS holds. Each visit is a few
events in one station's order: a new patient card (some visits), the registration, a charge with
one to three lines (one record per line, `<event id>/<n>`), a prescription with its lines, the
dispensing; now and then a refund of a charge (negative lines, `refund_of` the charge's event).
The same seed gives the same changes (event ids included).
"""
import datetime
import random
import uuid
from decimal import Decimal

import sqlalchemy as sa

from lifeline.his import demo_his as his
from lifeline.his.writer import Change

STATIONS = 5
CENT = Decimal("0.01")


class _Codes:
    """What the records refer to, read from the demo HIS."""

    def __init__(self, url: str):
        engine = his.connect(url)
        try:
            with engine.connect() as connection:
                def rows(*columns, where=None):
                    query = sa.select(*columns).order_by(*columns)
                    return connection.execute(query if where is None else query.where(where)).all()

                staff = his.STAFF_DICT.c
                self.departments = [r[0] for r in rows(his.DEPT_DICT.c.DEPT_CODE, where=his.DEPT_DICT.c.CLINIC_ATTR
                                                       == "临床")]
                self.doctors = [tuple(r) for r in rows(staff.EMP_NO, staff.DEPT_CODE, where=staff.JOB == "医生")]
                self.cashiers = [r[0] for r in rows(staff.EMP_NO, where=staff.JOB == "收费员")]
                self.drugs = [tuple(r) for r in rows(his.DRUG_DICT.c.DRUG_CODE, his.DRUG_DICT.c.RETAIL_PRICE,
                                                     his.DRUG_DICT.c.INSUR_CLASS)]
                self.items = [tuple(r) for r in rows(his.PRICE_LIST.c.ITEM_CODE, his.PRICE_LIST.c.PRICE,
                                                     his.PRICE_LIST.c.INSUR_CLASS)]
                self.pharmacies = [r[0] for r in rows(his.DEPT_DICT.c.DEPT_CODE,
                                                      where=his.DEPT_DICT.c.CLINIC_ATTR == "药房")]
                self.patients = [r[0] for r in connection.execute(
                    sa.select(his.PAT_MASTER_INDEX.c.PATIENT_ID).where(his.PAT_MASTER_INDEX.c.EMERGENCY_EVENT_ID
                                                                       .is_(None))
                    .order_by(his.PAT_MASTER_INDEX.c.PATIENT_ID).limit(5000))]
                self.invoice_start = connection.execute(sa.select(sa.func.max(his.BILL_RANGE.c.END_NO))).scalar_one()
        finally:
            engine.dispose()


def downtime_changes(url: str, events: int, seed: int = 1,
                     start: datetime.datetime = datetime.datetime(2026, 3, 2, 8, 0)) -> list[Change]:
    """`events` journal events (about; the last visit is cut) of STATIONS stations, in each
    station's order, interleaved as they were received."""
    rng = random.Random(seed)
    codes = _Codes(url)
    stations = [_Station(f"ST{n:02d}", codes, rng, start, seed) for n in range(1, STATIONS + 1)]
    invoice = iter(range(codes.invoice_start + 1, codes.invoice_start + 10 * events))
    changes: list[Change] = []
    while len(changes) < events:
        changes += rng.choice(stations).visit(invoice)
    return changes[:events]


class _Station:
    def __init__(self, name: str, codes: _Codes, rng: random.Random, start: datetime.datetime, seed: int):
        self.name, self.codes, self.rng, self.clock = name, codes, rng, start
        # above the HIS's own cards (as a lease gives them), apart per seed and station
        self.first_card = 9_000_000_000 + seed % 100 * 10_000_000 + int(name[-2:]) * 100_000
        self.seq = 0
        self.cashier = rng.choice(codes.cashiers)
        self.cards = 0

    def _event(self, kind_records) -> Change:
        """One event: `kind_records` is [(kind, fields)]; event ids and the common fields added."""
        self.seq += 1
        self.clock += datetime.timedelta(seconds=self.rng.randrange(5, 90))
        event_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        common = {"station": self.name, "operator_code": self.cashier, "recorded_at": self.clock}
        many = len(kind_records) > 1
        records = [(kind, {**common, **fields, "event_id": f"{event_id}/{n}" if many else event_id})
                   for n, (kind, fields) in enumerate(kind_records, 1)]
        return Change(event_id, self.name, self.seq, records)

    def visit(self, invoice) -> list[Change]:
        rng, codes = self.rng, self.codes
        out = []
        if rng.random() < .3:
            self.cards += 1
            card = f"{self.first_card + self.cards:010d}"
            sex = rng.choice("12")
            out.append(self._event([("new_patient", {
                "card_no": card, "name": rng.choice("王李张刘陈杨黄赵") + rng.choice(["伟", "芳", "秀英", "磊", "静"]),
                "sex": sex, "birth_date": datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(30_000)),
                "insurance_type": "09"})]))
        else:
            card = rng.choice(codes.patients)
        doctor, department = rng.choice(codes.doctors)
        visit = f"EV{self.name[-2:]}{self.seq + 1:07d}"
        out.append(self._event([("registration", {"visit_no": visit, "card_no": card, "department_code": department,
                                                  "doctor_code": doctor, "fee": Decimal("10.00")})]))
        drugs = rng.sample(codes.drugs, rng.randrange(1, 3))
        lines = [("drug", code, price, insur, Decimal(rng.randrange(1, 4))) for code, price, insur in drugs]
        if rng.random() < .4:
            code, price, insur = rng.choice(codes.items)
            lines.append(("price_item", code, price, insur, Decimal(1)))
        number, method = next(invoice), rng.choice(list(his.PAY_WAYS.values()))
        charge = [("charge", {"invoice_no": number, "visit_no": visit, "card_no": card, "item_kind": kind,
                              "item_code": code, "quantity": quantity, "unit_price": price,
                              "amount": (price * quantity).quantize(CENT), "insurance_category": insur,
                              "payment_method": method})
                  for kind, code, price, insur, quantity in lines]
        out.append(charged := self._event(charge))
        if rng.random() < .03:  # refunded before the drugs were handed out
            out.append(self._event([("charge", {**fields, "quantity": -fields["quantity"],
                                                "amount": -fields["amount"], "refund_of": charged.event_id})
                                    for _kind, fields in charge]))
            return out
        presc = f"EP{self.name[-2:]}{self.seq:07d}"
        out.append(self._event([("prescription", {"presc_no": presc, "visit_no": visit, "card_no": card,
                                                  "doctor_code": doctor, "drug_code": code, "quantity": quantity,
                                                  "dosage": rng.choice(his.DOSAGES)})
                                for kind, code, _p, _i, quantity in lines if kind == "drug"]))
        pharmacy = rng.choice(codes.pharmacies)
        out.append(self._event([("dispensing", {"presc_no": presc, "pharmacy_code": pharmacy, "drug_code": code,
                                                "quantity": quantity})
                                for kind, code, _p, _i, quantity in lines if kind == "drug"]))
        return out

"""Fixtures of the reconciliation tests: stations whose journals are built here, chained as a
workstation chains them, and received by the server's receiver; a downtime with planted faults."""
import secrets
import uuid
from datetime import timedelta

import pytest

from lifeline.recovery.receiving import receive
from lifeline.stations.models import Station
from lifeline.workstation.journal import EMERGENCY, GENESIS, chain_hash
from tests.analysis.conftest import SHANGHAI, load_seed, on_duty, resolved, t0  # noqa: F401 (fixtures)


class Journal:
    """A station's journal, written event by event and sent in one delivery."""

    def __init__(self, station: Station):
        self.station, self.seq, self.head, self.events = station, 0, GENESIS, []

    def add(self, kind: str, operator: str, payload: dict, at, mode=EMERGENCY) -> dict:
        self.seq += 1
        body = {"seq": self.seq, "event_id": str(uuid.uuid4()), "station": self.station.name, "operator": operator,
                "recorded_at": at.isoformat(), "kind": kind, "payload": payload, "package_id": "p1",
                "price_version": "v1", "mode": mode}
        event = {**body, "prev_hash": self.head, "hash": chain_hash(self.head, body)}
        self.head = event["hash"]
        self.events.append(event)
        return event

    def send(self):
        return receive(self.station, self.events, via="network")


@pytest.fixture
def journal(db):
    def make(name: str, department: str = "门诊收费处") -> Journal:
        return Journal(Station.objects.create(name=name, department=department, token_hash=secrets.token_hex(32)))

    return make


def drug(code, quantity, price):
    return {"item_kind": "drug", "item_code": code, "name": f"药{code}", "unit": "盒", "quantity": str(quantity),
            "unit_price": price, "amount": f"{quantity * float(price):.2f}"}


def service(code, price):
    return {"item_kind": "price_item", "item_code": code, "name": f"项目{code}", "unit": "次", "quantity": "1",
            "unit_price": price, "amount": price}


def charge(no, invoice, method, lines, card="T1", insurance=None):
    total = f"{sum(float(line['amount']) for line in lines):.2f}"
    return {"charge_no": no, "invoice_no": invoice, "card_no": card, "visit_no": None, "lines": lines,
            "total": total, "payment_method": method,
            "settlement": "pending_insurance" if insurance else "self_pay",
            "insurance_no": insurance and insurance[0], "insurance_unit": insurance and insurance[1]}


@pytest.fixture
def downtime(journal, resolved):
    """The incident `resolved` (2026-11-22 09:00 to 2026-11-23 11:00) and the journals of two
    cashiers' stations and a pharmacy's, with planted faults:

    C01: cash 20 (K1, dispensed), 12 (K3, voided, then dispensed: unpaid) and 8 (K4, drugs never
    dispensed); WeChat 35.50 (K2, refunded); bank card 50 pending insurance (K5, on a new invoice
    range from 2000); invoice 1002 skipped, 1003 used twice. C02: Alipay 15 (K6, dispensed), cash
    40 pending insurance (K7); temporary cards T1 and T2. The pharmacy dispenses K99, never
    charged, and one manual slip. A charge of C01 before the downtime and a drill charge do not count.
    """
    start = resolved.opened_at
    at = iter(start + timedelta(minutes=5 * i) for i in range(1, 100))
    a, b, p = journal("门诊收费1"), journal("门诊收费2"), journal("西药房1", "药剂科")
    a.add("charge", "C01", charge("K0", 999, "cash", [service("S9", "100.00")]), start - timedelta(hours=1))
    a.add("invoice_number_set", "C01", {"invoice_no": 1000, "range_id": "R1"}, next(at))
    a.add("charge", "C01", charge("K1", 1000, "cash", [drug("D1", 2, "10.00")]), next(at))
    a.add("charge", "C01", charge("K2", 1001, "wechat", [service("S1", "35.50")]), next(at))
    a.add("charge", "C01", charge("K3", 1003, "cash", [drug("D2", 1, "12.00")]), next(at))
    a.add("void", "C01", {"charge_no": "K3", "amount": "12.00", "reason": "打印错误"}, next(at))
    a.add("charge", "C01", charge("K4", 1003, "cash", [drug("D3", 4, "2.00")]), next(at))
    a.add("invoice_number_set", "C01", {"invoice_no": 2000, "range_id": "R2"}, next(at))
    a.add("charge", "C01", charge("K5", 2000, "bank_card", [service("S2", "50.00")], card="T2",
                                  insurance=("YB-001", "市医保")), next(at))
    a.add("refund", "C01", {"charge_no": "K2", "amount": "35.50", "reason": "患者未检查"}, next(at))
    a.add("charge", "C01", charge("K8", 2001, "cash", [service("S9", "99.00")]), next(at), mode="drill")
    b.add("new_patient", "C02", {"card_no": "T1", "temporary": True, "name": "张三", "sex": "1",
                                 "birth_date": "1980-01-02"}, next(at))
    b.add("new_patient", "C02", {"card_no": "T2", "temporary": True, "name": "李四", "sex": "2",
                                 "birth_date": "1990-03-04"}, next(at))
    b.add("charge", "C02", charge("K6", 5000, "alipay", [drug("D1", 1, "15.00")]), next(at))
    b.add("charge", "C02", charge("K7", 5001, "cash", [service("S3", "40.00")], insurance=("YB-002", "省医保")),
          next(at))
    p.add("dispensing", "Y01", {"charge_no": "K1", "card_no": "T1", "pharmacy_code": "YF1",
                                "lines": [{"drug_code": "D1", "quantity": "2"}]}, next(at))
    p.add("dispensing", "Y01", {"charge_no": "K6", "card_no": "T1", "pharmacy_code": "YF1",
                                "lines": [{"drug_code": "D1", "quantity": "1"}]}, next(at))
    p.add("dispensing", "Y01", {"charge_no": "K3", "card_no": "T1", "pharmacy_code": "YF1",
                                "lines": [{"drug_code": "D2", "quantity": "1"}]}, next(at))
    p.add("dispensing", "Y01", {"charge_no": "K99", "card_no": "T2", "pharmacy_code": "YF1",
                                "lines": [{"drug_code": "D5", "quantity": "3"}]}, next(at))
    p.add("manual_dispensing", "Y01", {"slip_no": "S-17", "card_no": "H77", "pharmacy_code": "YF1",
                                       "lines": [{"drug_code": "D4", "quantity": "1", "dosage": None}]}, next(at))
    for j in (a, b, p):
        j.send()
    return resolved

"""A real workstation's desk, its journal sent back, reconciled: the cashier's takings equal the
station's own handover figures (charging.takings), the invoice the cashier skipped is a gap, and
the drug charge nobody dispensed is on the pharmacy's list."""
import dataclasses
import secrets
from datetime import timedelta
from decimal import Decimal

import pytest

from lifeline.reconciliation import services
from lifeline.recovery.receiving import receive
from lifeline.stations.models import Station
from lifeline.workstation import charging, pharmacy
from tests.workstation.conftest import in_force, key, key_file, station, station_clock  # noqa: F401 (fixtures)
from tests.workstation.test_desk import CASHIER, LINES, PHARMACIST

pytestmark = pytest.mark.django_db


def test_reconciled_takings_equal_the_stations_handover(station, station_clock, in_force):
    start = station_clock()
    charging.set_invoice_number(station, CASHIER, "1000")
    pending = charging.charge(station, CASHIER, "C0002", "1000", LINES, "wechat", insurance_no="YB0002",
                              insurance_unit="某某公司").payload
    spoiled = charging.charge(station, CASHIER, "C0001", "1001", LINES[:1], "cash").payload
    returned = charging.charge(station, CASHIER, "C0001", "1002", LINES[:1], "cash").payload
    charging.set_invoice_number(station, CASHIER, "1004")  # a spoiled paper invoice, never charged: a gap
    dispensed = charging.charge(station, CASHIER, "C0001", "1004", LINES, "cash").payload
    undispensed = charging.charge(station, CASHIER, "C0001", "1005", LINES, "bank_card").payload
    charging.cancel(station, CASHIER, spoiled["charge_no"], "打印错误", "void")
    charging.cancel(station, CASHIER, returned["charge_no"], "未检查", "refund")
    pharmacy.dispense(station, PHARMACIST, dispensed["charge_no"], "PH1")
    pharmacy.dispense(station, PHARMACIST, pending["charge_no"], "PH1")
    station_clock.advance(minutes=5)
    server_side = Station.objects.create(name=in_force.station, department="门诊收费处",
                                         token_hash=secrets.token_hex(32))
    receive(server_side, [dataclasses.asdict(e) for e in station.journal.events()], via="network")
    rec = services.create(None, start=start - timedelta(minutes=1), end=station_clock())

    found, _note = services.compute(rec)

    handover = charging.takings(station, CASHIER.code)
    [takings] = found.takings
    assert takings.cashier == CASHIER.code and takings.net == handover["net"] == Decimal("150.00")
    assert {m: s.net for m, s in takings.during.items()} == {m: s["net"] for m, s in handover["by_method"].items()}
    [invoices] = found.invoices
    assert (invoices.gaps, invoices.duplicates) == ([(1003, 1003)], [])
    assert [(r.finding, r.reference) for r in found.pharmacy if r.finding != "dispensed"] == [
        ("paid_not_dispensed", undispensed["charge_no"])]
    assert [c.charge_no for c in found.pending_insurance] == [pending["charge_no"]]

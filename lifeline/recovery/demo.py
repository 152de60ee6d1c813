"""The demo hospital's downtime this morning, as its stations sent it back: two windows of the
outpatient hall (registration and charging) and the outpatient pharmacy worked through a short
HIS downtime on the demo HIS's snapshot, and their journals were received over the network.
Not merged: the commander runs the dry run himself (/recovery/merge/).

The journals are recorded by the workstation's own desk code (registration, charging,
prescriptions, pharmacy) on the demo's snapshot chain applied as a station applies it, with
number ranges leased by the server, so they carry the demo HIS's real patients, clinics, prices
and drugs, and the merge dry run finds what it would find after a real downtime.
Idempotent: the stations' journals are received once (a second run changes nothing).
"""
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

from lifeline.package import applying
from lifeline.recovery.models import ReceivedEvent, StationJournal
from lifeline.recovery.receiving import receive
from lifeline.snapshots import storage
from lifeline.stations import leasing, registry
from lifeline.stations.models import Station as Registered
from lifeline.workstation import basedata, charging, modes, numbering, pharmacy, prescriptions, registration, store
from lifeline.workstation.journal import EMERGENCY, InForce, price_version
from lifeline.workstation.leases import Lease
from lifeline.workstation.station import BASE, Operator, Station

WINDOW_1, WINDOW_2, PHARMACY = "门诊挂号收费-01", "门诊挂号收费-02", "门诊西药房-01"
STATIONS = {WINDOW_1: "门诊挂号收费处", WINDOW_2: "门诊挂号收费处", PHARMACY: "门诊西药房"}
REASON = "HIS数据库服务器故障，启用应急工作站"


def window(now: datetime) -> tuple[datetime, datetime]:
    """This morning's downtime as the demo tells it: 75 minutes, over an hour before `now`."""
    end = (now - timedelta(hours=1, minutes=10)).replace(second=0, microsecond=0)
    return end - timedelta(minutes=75), end


def load_demo(chain: list[Path], start: datetime, end: datetime) -> dict:
    """The three stations' journals of the downtime start..end (recorded on `chain`, the demo's
    snapshot packages, full then incremental), received unless received already."""
    if not StationJournal.objects.filter(station__name__in=STATIONS).exists():
        with tempfile.TemporaryDirectory(prefix="lifeline-demo-stations-") as scratch:
            _record_and_send(chain, Path(scratch), start, end)
    return {name: ReceivedEvent.objects.filter(station__name=name).count() for name in STATIONS}


def _record_and_send(chain: list[Path], scratch: Path, start: datetime, end: datetime):
    times = _moments(start, end)
    plain = scratch / "plain.sqlite3"
    manifest = applying.apply(chain, plain, storage.keystore())
    desks = {name: _desk(plain, manifest, scratch / name, _registered(name, department), times)
             for name, department in STATIONS.items()}
    try:
        for desk in desks.values():
            modes.declare(desk, EMERGENCY, "server", "server", REASON)
        _work(desks[WINDOW_1], desks[WINDOW_2], desks[PHARMACY])
        for name, desk in desks.items():
            modes.declare(desk, "ready", "server", "server", "HIS恢复，应急结束")
            events = [asdict(event) for event in desk.journal.events()]
            receive(Registered.objects.get(name=name), events, ReceivedEvent.Via.NETWORK, held=len(events))
    finally:
        for desk in desks.values():
            desk.close()


def _registered(name: str, department: str) -> Registered:
    found = Registered.objects.filter(name=name).first()
    return found or registry.create(name=name, department=department)[0]


def _desk(plain: Path, manifest: dict, directory: Path, registered: Registered, times: Iterator[datetime]) -> Station:
    """The station as `lifeline station pull` leaves it: the chain applied (`plain`, its last
    `manifest`) sealed with the station's own key, the server's number ranges held; its clock
    the downtime's, under a minute per event."""
    directory.mkdir()
    key_file = directory / "station.key"
    key_file.write_bytes(secrets.token_bytes(64))
    key = store.data_key(key_file)
    basedata.seal(plain, directory / BASE, key)
    in_force = InForce(registered.name, manifest["package_id"], price_version(manifest), EMERGENCY)
    station = Station.open(directory, key, in_force, lambda: next(times))
    granted = leasing.renew(registered, set(), {}, next(times))
    with station.journal.transaction() as tx:
        for lease in granted:
            numbering.receive(tx, Lease(lease.lease_id, lease.kind, lease.first, lease.last), "server")
    return station


def _moments(start: datetime, end: datetime) -> Iterator[datetime]:
    """Ever later times within the downtime (each desk's clock reads one as it records)."""
    at = start
    while True:
        at = min(at + timedelta(seconds=50), end)
        yield at


def _staff(desk: Station, role: str, until: datetime, offset: int = 0) -> Operator:
    """A member of staff of `role` in the base data, with an emergency credential valid till `until`."""
    sql = "SELECT code, name FROM base.staff WHERE role = ? ORDER BY code LIMIT 1 OFFSET ?"
    if role == "cashier":  # a cashier holds an invoice range
        sql = ("SELECT code, name FROM base.staff WHERE role = ? AND code IN "
               "(SELECT cashier_code FROM base.invoice_range) ORDER BY code LIMIT 1 OFFSET ?")
    code, name = desk.one(sql, (role, offset))
    return Operator(code, name, role, until)


def _work(first: Station, second: Station, chemist: Station):
    """The downtime's work at the desks: new temporary cards and known patients registered,
    prescriptions back-entered, charges (one pending insurance), a void, drugs dispensed."""
    until = datetime.max.replace(tzinfo=first.journal.clock().tzinfo)
    pharmacist = _staff(chemist, "pharmacist", until)
    store_code = chemist.one("SELECT pharmacy_code FROM base.drug_stock GROUP BY pharmacy_code "
                             "ORDER BY count(*) DESC LIMIT 1")[0]
    drugs = chemist.db.execute(
        "SELECT drug_code FROM base.drug_stock WHERE pharmacy_code = ? GROUP BY drug_code "
        "HAVING sum(CAST(quantity AS REAL)) > 20 ORDER BY drug_code LIMIT 4", (store_code,)).fetchall()
    clinics = first.db.execute("SELECT schedule_id, doctor_code FROM base.clinic_schedule "
                               "WHERE doctor_code IS NOT NULL ORDER BY schedule_id LIMIT 2").fetchall()
    insured = first.one("SELECT card_no, insurance_no FROM base.patient WHERE insurance_no IS NOT NULL "
                        "ORDER BY card_no LIMIT 1")
    known = first.db.execute("SELECT card_no FROM base.patient WHERE insurance_no IS NULL ORDER BY card_no "
                             "LIMIT 2").fetchall()
    item = first.one("SELECT code, price FROM base.price_item ORDER BY code LIMIT 1")
    newcomers = [("王建国", "1", "1968-04-12"), ("陈晓梅", "2", "1991-09-03")]
    for n, desk in enumerate((first, second)):
        cashier = _staff(desk, "cashier", until, offset=n)
        invoice = desk.one("SELECT next_no FROM base.invoice_range WHERE cashier_code = ? ORDER BY range_id",
                           (cashier.code,))[0]
        charging.set_invoice_number(desk, cashier, invoice)
        name, sex, born = newcomers[n]
        card = registration.issue_card(desk, cashier, {"name": name, "sex": sex, "birth_date": born}).payload
        patients = [card["card_no"], known[n][0]] + ([insured[0]] if n == 0 else [])
        for i, card_no in enumerate(patients):
            schedule, doctor = clinics[i % len(clinics)]
            visit = registration.register_visit(desk, cashier, card_no, schedule).payload["visit_no"]
            drug = drugs[(n * 2 + i) % len(drugs)][0]
            prescriptions.enter(desk, cashier, visit, doctor, store_code,
                                        [{"drug_code": drug, "quantity": "2", "dosage": "一日三次，每次一粒"}])
            lines = [{"item_kind": "drug", "item_code": drug, "quantity": "2",
                      "unit_price": desk.one("SELECT price FROM base.drug WHERE code = ?", (drug,))[0]}]
            if card_no == known[n][0]:
                lines.append({"item_kind": "price_item", "item_code": item[0], "quantity": "1", "unit_price": item[1]})
            pending = ("", "")
            if card_no == insured[0]:
                pending = (insured[1], "市医保")
            charged = charging.charge(desk, cashier, card_no, invoice, lines, "cash" if i != 1 else "wechat",
                                      insurance_no=pending[0], insurance_unit=pending[1], visit_no=visit).payload
            invoice += 1
            if n == 1 and i == 1:  # the invoice misprinted at the window: voided, charged again
                charging.cancel(desk, cashier, charged["charge_no"], "发票打印错位")
                charged = charging.charge(desk, cashier, card_no, invoice, lines, "wechat", visit_no=visit).payload
                invoice += 1
            pharmacy.dispense(chemist, pharmacist, charged["charge_no"], store_code,
                              receipt={"charge_no": charged["charge_no"], "card_no": card_no,
                                       "lines": charged["lines"]})

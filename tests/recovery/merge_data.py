"""Merge-back test data: a demo HIS per engine (scratch databases named h16merge_…), facts read
from it (a patient, drugs in stock, a price item, a clinic), and station journals as a station
records them (workstation payloads, chained hashes), received into ReceivedEvent rows."""
import json
import os
import secrets
import shutil
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from lifeline.his import demo_his
from lifeline.his.writer import LEDGER_NAME
from lifeline.workstation.journal import DRILL, EMERGENCY, GENESIS, chain_hash

SERVERS = {
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/{}", "postgres"),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/{}?charset=utf8mb4", "mysql"),
}
EMERGENCY_TABLES = ("OUTP_REGISTER", "OUTP_CHARGE", "OUTP_PRESC", "OUTP_DISPENSE")


def scratch_database(engine: str, tmp_path_factory):
    """(url, drop) of an empty database on `engine`; sqlite: a file."""
    if engine == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('his')}/his.db", lambda: None
    url, admin_db = SERVERS[engine]
    name = f"h16merge_{secrets.token_hex(4)}"
    admin = sa.create_engine(url.format(admin_db), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}" + (" CHARACTER SET utf8mb4" if engine == "mariadb"
                                                                     else ""))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"{engine} is unreachable (CI=true): {exc.orig}")
        pytest.skip(f"SKIPPED on {engine}: unreachable: {exc.orig}")

    def drop():
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name}" + (" WITH (FORCE)" if engine == "postgresql" else ""))
        admin.dispose()

    return url.format(name), drop


@dataclass
class His:
    url: str
    mapping_path: Path

    def engine(self):
        return sa.create_engine(self.url)

    def query(self, sql: str, **binds) -> list[tuple]:
        """Rows of `sql` with `{NAME}` quoted as the database needs."""
        engine = self.engine()
        try:
            with engine.connect() as connection:
                text = sql.format_map(demo_his.QuotedNames(engine.dialect))
                return [tuple(row) for row in connection.execute(sa.text(text), binds)]
        finally:
            engine.dispose()

    def execute(self, sql: str, **binds):
        engine = self.engine()
        try:
            with engine.begin() as connection:
                connection.execute(sa.text(sql.format_map(demo_his.QuotedNames(engine.dialect))), binds)
        finally:
            engine.dispose()

    def emergency_rows(self) -> dict[str, list[tuple]]:
        """The merged rows of each emergency table and the patients created, without the HIS's own
        row ids (numbered by sequences, which a killed transaction advances): what a run wrote."""
        found = {}
        for table in EMERGENCY_TABLES:
            columns = [c.name for c in demo_his.metadata.tables[table].c if not c.name.endswith("_ID")
                       or c.name == "PATIENT_ID"]
            listed = ", ".join("{" + c + "}" for c in columns)
            found[table] = sorted(map(_text, self.query(
                f"SELECT {listed}, {{EMERGENCY_EVENT_ID}} FROM {{{table}}} WHERE {{EMERGENCY_EVENT_ID}} IS NOT NULL")))
        found["PAT_MASTER_INDEX"] = sorted(map(_text, self.query(
            "SELECT * FROM {PAT_MASTER_INDEX} WHERE {PATIENT_ID} LIKE 'T%'")))
        engine = self.engine()
        try:
            ledger = sa.inspect(engine).has_table(LEDGER_NAME)
        finally:
            engine.dispose()
        found["LEDGER"] = sorted(r[0] for r in self.query(f"SELECT {{event_id}} FROM {{{LEDGER_NAME}}}")) if ledger \
            else []
        return found


def _text(row) -> tuple:
    return tuple(str(Decimal(v).normalize()) if isinstance(v, Decimal) else str(v) for v in row)


def build_his(url: str, directory: Path, patients: int = 300) -> His:
    demo_his.build(url, patients, seed=5)
    path = directory / "his.yaml"
    path.write_text(demo_his.mapping_text(url), encoding="utf-8")
    return His(url, path)


@dataclass
class Facts:
    """What a station's base data would hold of this HIS."""
    patient: dict  # an existing patient: card_no, name, birth_date, id_card_no
    drugs: list[tuple]  # (code, price, insurance category) in stock at `pharmacy`
    pharmacy: str
    stock: dict  # drug code -> quantity at the pharmacy
    item: tuple  # (code, price, insurance category) of a price item
    schedule: tuple  # (schedule_id, department_code, doctor_code, fee)


def facts(his: His) -> Facts:
    card, name, birth, id_no = his.query(
        "SELECT {PATIENT_ID}, {NAME}, {DATE_OF_BIRTH}, {ID_NO} FROM {PAT_MASTER_INDEX} WHERE {ID_NO} IS NOT NULL "
        "ORDER BY {PATIENT_ID}")[0]
    pharmacy = his.query("SELECT {STORAGE} FROM {DRUG_STOCK} GROUP BY {STORAGE} ORDER BY COUNT(*) DESC")[0][0]
    stocked = his.query(
        "SELECT s.{DRUG_CODE}, SUM(s.{QUANTITY}), d.{RETAIL_PRICE}, d.{INSUR_CLASS} FROM {DRUG_STOCK} s "
        "JOIN {DRUG_DICT} d ON d.{DRUG_CODE} = s.{DRUG_CODE} WHERE s.{STORAGE} = :pharmacy "
        "GROUP BY s.{DRUG_CODE}, d.{RETAIL_PRICE}, d.{INSUR_CLASS} HAVING SUM(s.{QUANTITY}) > 50 "
        "ORDER BY s.{DRUG_CODE}", pharmacy=pharmacy)[:3]
    item = his.query("SELECT {ITEM_CODE}, {PRICE}, {INSUR_CLASS} FROM {PRICE_LIST} WHERE {STOP_DATE} IS NULL "
                     "ORDER BY {ITEM_CODE}")[0]
    schedule = his.query("SELECT {SCHEDULE_NO}, {DEPT_CODE}, {DOCTOR}, {REGIST_FEE} FROM {CLINIC_SCHEDULE} "
                         "WHERE {DOCTOR} IS NOT NULL ORDER BY {SCHEDULE_NO}")[0]
    return Facts({"card_no": card, "name": name, "birth_date": str(birth)[:10], "id_card_no": id_no},
                 [(code, _money(price), category) for code, _q, price, category in stocked], pharmacy,
                 {code: Decimal(quantity) for code, quantity, _p, _c in stocked},
                 (item[0], _money(item[1]), item[2]), (str(schedule[0]), schedule[1], schedule[2], _money(schedule[3])))


def _money(value) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


class Journal:
    """A station's journal as the station records it: payloads as the workstation writes them
    (registration.py, charging.py, prescriptions.py, pharmacy.py, modes.py), hashes chained."""

    def __init__(self, station: str, base: int):
        self.station, self.events, self.hash = station, [], GENESIS
        self.numbers = {"card": base, "visit": base, "charge": base, "prescription": base}
        self.mode, self.minute = EMERGENCY, 0
        self.charges = {}

    def number(self, kind: str) -> str:
        self.numbers[kind] += 1
        return str(self.numbers[kind])

    def record(self, kind: str, payload: dict, operator: str = "S001") -> dict:
        self.minute += 1
        body = {"seq": len(self.events) + 1, "event_id": str(uuid.uuid4()), "station": self.station,
                "operator": operator, "recorded_at": f"2026-12-06T{8 + self.minute // 60:02d}:{self.minute % 60:02d}"
                                                     f":00+08:00",
                "kind": kind, "payload": json.loads(json.dumps(payload, default=str)), "package_id": "p" * 64,
                "price_version": "drug:abc/price_item:def", "mode": self.mode}
        event = {**body, "prev_hash": self.hash, "hash": chain_hash(self.hash, body)}
        self.hash = event["hash"]
        self.events.append(event)
        return event

    def declare(self, mode: str):
        self.mode = mode
        self.record("mode_changed", {"mode": mode, "how": "server", "reason": ""}, operator="server")

    def new_patient(self, name, birth_date, id_card_no=None, sex="1") -> str:
        card = "T" + self.number("card")
        self.record("new_patient", {"card_no": card, "temporary": True, "name": name, "sex": sex,
                                    "birth_date": birth_date, "id_card_no": id_card_no, "phone": None,
                                    "insurance_type": None, "insurance_no": None})
        return card

    def register(self, card_no, schedule) -> str:
        visit = self.number("visit")
        schedule_id, department, doctor, fee = schedule
        self.record("registration", {"visit_no": visit, "card_no": card_no, "schedule_id": schedule_id,
                                     "department_code": department, "doctor_code": doctor, "fee": fee,
                                     "free_of_fee": False})
        return visit

    def charge(self, card_no, visit_no, invoice_no, lines) -> str:
        """lines: (item_kind, (code, price, category), quantity)."""
        charge_no = self.number("charge")
        priced = []
        for kind, (code, price, category), quantity in lines:
            amount = (Decimal(price) * quantity).quantize(Decimal("0.01"))
            priced.append({"item_kind": kind, "item_code": code, "name": f"品名{code}", "unit": "盒",
                           "quantity": str(quantity), "unit_price": price, "insurance_category": category,
                           "amount": str(amount)})
        total = sum(Decimal(line["amount"]) for line in priced)
        self.record("charge", {"charge_no": charge_no, "invoice_no": invoice_no, "card_no": card_no,
                               "visit_no": visit_no, "lines": priced, "total": str(total), "payment_method": "cash",
                               "settlement": "self_pay", "insurance_no": None, "insurance_unit": None})
        self.charges[charge_no] = total
        return charge_no

    def cancel(self, charge_no, kind="refund"):
        self.record(kind, {"charge_no": charge_no, "amount": str(self.charges[charge_no]), "reason": "患者要求"})

    def prescribe(self, visit_no, card_no, doctor, pharmacy, drugs):
        presc = self.number("prescription")
        self.record("prescription", {"presc_no": presc, "visit_no": visit_no, "card_no": card_no,
                                     "doctor_code": doctor, "pharmacy_code": pharmacy,
                                     "lines": [{"drug_code": code, "quantity": str(q), "dosage": "一日三次"}
                                               for code, q in drugs]})
        return presc

    def dispense(self, charge_no, card_no, pharmacy, drugs):
        self.record("dispensing", {"charge_no": charge_no, "card_no": card_no, "pharmacy_code": pharmacy,
                                   "lines": [{"drug_code": code, "quantity": str(q)} for code, q in drugs]})

    def dispense_by_hand(self, slip_no, card_no, pharmacy, drugs):
        self.record("manual_dispensing", {"slip_no": slip_no, "card_no": card_no, "pharmacy_code": pharmacy,
                                          "lines": [{"drug_code": code, "quantity": str(q), "dosage": None}
                                                    for code, q in drugs]})


def downtime(station: str, f: Facts, base: int, invoice: int, patients: int = 3) -> Journal:
    """A morning of downtime at one station: new patients, their visits, prescriptions, charges of
    a drug and an item and the drugs dispensed; a charge refunded; drugs given by hand against a
    paper slip; then a drill that must never reach the HIS."""
    j = Journal(station, base)
    j.declare(EMERGENCY)
    j.record("invoice_number_set", {"invoice_no": invoice, "range_id": "R1"}, operator="S001")
    doctor = f.schedule[2]
    for i in range(patients):
        card = j.new_patient(f"应急患者{station}{i}", f"19{70 + i}-0{1 + i % 9}-1{i % 9}")
        visit = j.register(card, f.schedule)
        drug = f.drugs[i % len(f.drugs)]
        j.prescribe(visit, card, doctor, f.pharmacy, [(drug[0], 2)])
        charge_no = j.charge(card, visit, invoice + i, [("drug", drug, 2), ("price_item", f.item, 1)])
        j.dispense(charge_no, card, f.pharmacy, [(drug[0], 2)])
    refunded = j.charge(card, visit, invoice + patients, [("price_item", f.item, 1)])
    j.cancel(refunded, "refund")
    j.dispense_by_hand(f"P{base}", f.patient["card_no"], f.pharmacy, [(f.drugs[0][0], 1)])
    j.declare(DRILL)
    drill_card = j.new_patient("演练患者", "1990-01-01")
    j.register(drill_card, f.schedule)
    j.declare(EMERGENCY)
    return j


def receive(station_name: str, events: list[dict]):
    """Store a station's events as the server receives them (receiving.py checks the chain)."""
    from lifeline.recovery import receiving
    from lifeline.stations.models import Station

    station, _created = Station.objects.get_or_create(name=station_name, defaults={
        "department": "门诊收费处", "token_hash": secrets.token_hex(32)})
    receiving.receive(station, events, via="network")
    return station


def receive_file(path):
    """`lifeline shell -c` in a test's Lifeline home: receive the journals of a JSON file."""
    for events in json.loads(Path(path).read_text(encoding="utf-8")):
        receive(events[0]["station"], events)


# -- fixtures: a demo HIS on SQLite, copied per test, in use as the snapshot mapping ---------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    directory = tmp_path_factory.mktemp("his")
    return build_his(f"sqlite:///{directory}/his.db", directory)


@pytest.fixture
def his(built, tmp_path, settings):
    """A fresh copy of the demo HIS, the mapping in use (LIFELINE_SNAPSHOT_MAPPING) pointing at it."""
    path = tmp_path / "his.db"
    shutil.copy(built.url.removeprefix("sqlite:///"), path)
    mapping = tmp_path / "his.yaml"
    mapping.write_text(built.mapping_path.read_text(encoding="utf-8").replace(built.url, f"sqlite:///{path}"),
                       encoding="utf-8")
    settings.SNAPSHOT_MAPPING = str(mapping)
    return His(f"sqlite:///{path}", mapping)


@pytest.fixture
def clean_day(his):
    """Two stations' downtime with nothing to decide."""
    f = facts(his)
    for name, base, invoice in (("收费-01", 800000, 70001), ("收费-02", 810000, 70101)):
        receive(name, downtime(name, f, base, invoice).events)
    return f


@pytest.fixture
def conflicted(his, clean_day):
    """A third station whose day conflicts with the HIS in every way merge-back checks."""
    f = clean_day
    j = Journal("收费-03", 820000)
    known = j.new_patient(f.patient["name"], f.patient["birth_date"], id_card_no=f.patient["id_card_no"])
    visit = j.register(known, f.schedule)
    invoice = his.query("SELECT {RCPT_NO} FROM {OUTP_CHARGE} ORDER BY {RCPT_NO}")[0][0]
    j.charge(known, visit, invoice, [("price_item", f.item, 1)])
    drug = f.drugs[1]
    j.dispense_by_hand("P-BIG", f.patient["card_no"], f.pharmacy, [(drug[0], f.stock[drug[0]] + 1)])
    his.execute("UPDATE {PRICE_LIST} SET {PRICE} = {PRICE} + 1 WHERE {ITEM_CODE} = :code", code=f.item[0])
    receive("收费-03", j.events)
    return {"card": known, "visit": visit, "invoice": invoice, "drug": drug[0]}

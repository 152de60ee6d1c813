"""Issue 16's done-when, continued from the workstation issue's five-station test: five stations
work the desk, each killed with kill -9 at a random moment and restarted; their journals are sent
back and merged into a demo HIS on PostgreSQL and on MariaDB: every event exactly once. One
station's journal comes by USB file and then by network, another's by network and then by USB
file: the second delivery, and a second merge, change nothing. The reconciliation of that run:
each cashier's takings are their charges minus voids and refunds (as the station's handover and
the merged HIS say too), and the invoice gap, the duplicate invoice and the unpaid dispensing
planted at the desks are found where they were planted."""
import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from lifeline.his import demo_his
from lifeline.package.keys import KeyStore
from lifeline.reconciliation import services
from lifeline.recovery import importing, merging, receiving
from lifeline.recovery.models import Conflict, MergeRun, ReceivedEvent
from lifeline.stations import registry
from lifeline.workstation import charging, pharmacy, store, usb
from lifeline.workstation.journal import InForce
from lifeline.workstation.station import Operator, Station
from tests.recovery.merge_data import build_his, scratch_database
from tests.workstation import kill_worker, test_kill

pytestmark = pytest.mark.django_db
TOTAL = 300  # desk transactions per station (the workstation issue's test runs 2,000 without merging)
BY_USB_FIRST, BY_NETWORK_FIRST = "S1", "S2"  # the stations whose journal comes twice, in either order
TABLES = {"registration": "OUTP_REGISTER", "charge": "OUTP_CHARGE", "prescription": "OUTP_PRESC",
          "dispensing": "OUTP_DISPENSE"}


@dataclasses.dataclass
class Day:
    """The five stations' directories after their day, and what was planted at their desks."""

    root: object  # the directory holding S1..S5, the stations' key file and the server's key store
    key: bytes
    start: datetime
    end: datetime
    gap: tuple[str, tuple[int, int]]  # cashier, the invoice numbers skipped
    duplicate: tuple[str, int, list[str]]  # cashier, the invoice number, the charges on it
    unpaid: tuple[str, str]  # the station that dispensed, the refunded charge it dispensed

    def journal(self, name: str) -> list[dict]:
        station = self.open(name)
        try:
            return [dataclasses.asdict(e) for e in station.journal.events()]
        finally:
            station.close()

    def open(self, name: str) -> Station:
        return Station.open(self.root / name, self.key, InForce(name, "full-1", "price_item:1/drug:1"),
                            lambda: datetime.now(UTC))


def cashier(name: str) -> Operator:
    return Operator(kill_worker.cashier_of(name), "收费员", "cashier", kill_worker.UNTIL)


def current_invoice(station: Station, operator: Operator) -> int:
    return station.one("SELECT next_no FROM cashier_invoices WHERE cashier_code = ?", (operator.code,))[0]


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> Day:
    """The workstation issue's five killed stations (TOTAL transactions each), keyed with the
    hospital's station key file (so they can export to USB); then, at the desks: S1's cashier
    sets an invoice number two ahead (a gap); S2's cashier goes on at S5's window with the
    invoice number last used at S2 (a duplicate: S2 itself refuses a number it used); S3 charges
    drugs and refunds them, and S4's pharmacy dispenses that charge from its receipt (it cannot
    know of the refund: the network is down), which is the unpaid dispensing."""
    root = tmp_path_factory.mktemp("stations")
    server_keys = KeyStore(directory=root / "server" / "keys")
    server_keys.create()
    station_keys = KeyStore(file=root / "station.key")  # what `lifeline station keys --out` writes
    for key in server_keys.keys():
        station_keys.add(key.public_only())
    start = datetime.now(UTC) - timedelta(minutes=1)
    kills, failures = [], []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(test_kill, "TOTAL", TOTAL)
        key = test_kill._prepare(root)["key"]
        for name in test_kill.STATIONS:
            test_kill._run_station(root, name, [], kills, failures)
    assert key == store.data_key(root / "station.key")
    assert not failures, failures
    assert sorted(kills) == test_kill.STATIONS
    found = Day(root, key, start, start, ("", (0, 0)), ("", 0, []), ("", ""))

    s1, who = found.open("S1"), cashier("S1")
    try:
        skipped = current_invoice(s1, who)
        charging.set_invoice_number(s1, who, skipped + 2)
        charging.charge(s1, who, "C0001", skipped + 2, kill_worker.ITEMS, "cash")
        found.gap = (who.code, (skipped, skipped + 1))
    finally:
        s1.close()
    s2, s5, who = found.open("S2"), found.open("S5"), cashier("S2")
    try:  # a station refuses an invoice number it used already: the cashier moves to S5's window
        again = current_invoice(s2, who) - 1
        first = s2.one("SELECT charge_no FROM charges WHERE invoice_no = ?", (again,))[0]
        charging.set_invoice_number(s5, who, again)
        second = charging.charge(s5, who, "C0001", again, kill_worker.ITEMS[:1], "wechat").payload["charge_no"]
        found.duplicate = (who.code, again, sorted([first, second]))
    finally:
        s2.close()
        s5.close()
    s3, who = found.open("S3"), cashier("S3")
    try:
        receipt = charging.charge(s3, who, "C0001", current_invoice(s3, who), kill_worker.ITEMS, "cash").payload
        charging.cancel(s3, who, receipt["charge_no"], "患者不取药", "refund")
    finally:
        s3.close()
    s4 = found.open("S4")
    try:
        pharmacy.dispense(s4, kill_worker.PHARMACIST, receipt["charge_no"], "PH1", receipt=receipt)
        found.unpaid = ("S4", receipt["charge_no"])
    finally:
        s4.close()
    found.end = datetime.now(UTC) + timedelta(minutes=1)
    return found


@pytest.fixture(params=["postgresql", "mariadb"])
def his(request, tmp_path_factory, settings, day):
    """A demo HIS on the engine, the mapping in use; Lifeline's key store the one the stations'
    key file was written from (the USB file's import decrypts with it)."""
    url, drop = scratch_database(request.param, tmp_path_factory)
    try:
        his = build_his(url, tmp_path_factory.mktemp("his"))
        # The workstation test's dictionary names its clinics S-AM-1, S-AM-2: this HIS numbers them in text.
        his.execute("ALTER TABLE {OUTP_REGISTER} " + ("MODIFY {SCHEDULE_NO} varchar(20)" if request.param == "mariadb"
                                                      else "ALTER COLUMN {SCHEDULE_NO} TYPE varchar(20)"))
    except BaseException:
        drop()
        raise
    settings.SNAPSHOT_MAPPING = str(his.mapping_path)
    settings.DATA_DIR, settings.SNAPSHOT_DIR, settings.SNAPSHOT_KEY_FILE = (day.root / "server",
                                                                           day.root / "server" / "snapshots", None)
    yield his
    drop()


def deliver(name: str, day: Day, token: str, stick, record, via: str) -> receiving.Receipt:
    """The station's whole journal, by network (what the send-back API receives) or by its USB file."""
    if via == "network":
        return receiving.receive(record, day.journal(name), via=ReceivedEvent.Via.NETWORK)
    exported = usb.export(day.root / name, KeyStore(file=day.root / "station.key"), token, stick, name,
                          datetime.now(UTC))
    station, receipt = importing.import_file(exported.path)
    assert station == record
    return receipt


def ledger(his) -> Counter:
    return Counter(r[0] for r in his.query("SELECT {event_id} FROM {LIFELINE_MERGE_LEDGER}"))


def test_five_killed_stations_sent_back_merged_exactly_once_and_reconciled(day, his, tmp_path, clock, make_user):
    stick = tmp_path / "usb"
    stick.mkdir()
    held, records, tokens = {}, {}, {}
    for name in test_kill.STATIONS:
        records[name], tokens[name] = registry.create(name=name, department="门诊收费")
        held[name] = day.journal(name)
        via = "usb" if name == BY_USB_FIRST else "network"
        receipt = deliver(name, day, tokens[name], stick, records[name], via)
        assert (receipt.received, receipt.duplicates) == (len(held[name]), 0)

    found = merging.plan(clock.now())
    commander = make_user("zhang")
    for conflict in Conflict.objects.filter(state="open"):  # the stations' test dictionary is not the HIS's
        merging.decide(conflict, commander, clock.now(), "reject" if conflict.kind == "patient_match" else "accept")
    merge_run = merging.run(commander, clock.now())
    assert merge_run.state == MergeRun.State.DONE, merge_run.message

    merged = ledger(his)
    every = [e["event_id"] for events in held.values() for e in events]
    assert set(merged) == set(every) and max(merged.values()) == 1
    kinds = Counter(kind for change in found.changes for kind, _fields in change.records)
    written = {kind: his.query(f"SELECT COUNT(*) FROM {{{table}}} WHERE {{EMERGENCY_EVENT_ID}} IS NOT NULL")[0][0]
               for kind, table in TABLES.items()}
    assert written == {kind: kinds[kind] for kind in TABLES} and all(written.values())
    contents = his.emergency_rows()

    # The same journals once more, the other way: nothing new is received, nothing more is merged.
    stored = list(ReceivedEvent.objects.order_by("station_id", "seq").values_list("event_id", "hash", "via"))
    for name, via in ((BY_USB_FIRST, "network"), (BY_NETWORK_FIRST, "usb")):
        receipt = deliver(name, day, tokens[name], stick, records[name], via)
        assert (receipt.received, receipt.duplicates) == (0, len(held[name]))
    assert list(ReceivedEvent.objects.order_by("station_id", "seq").values_list("event_id", "hash", "via")) == stored
    assert {via for _e, _h, via in stored} == {"usb", "network"}
    again = merging.run(commander, clock.now())
    assert (again.state, again.total) == (MergeRun.State.DONE, 0)
    assert ledger(his) == merged and his.emergency_rows() == contents

    reconciled, _note = services.compute(services.create(None, start=day.start, end=day.end))
    assert reconciled.events == sum(1 for events in held.values() for e in events if e["kind"] in services.KINDS)
    _each_cashier_takes_their_charges_minus_refunds(reconciled, day, his)
    gaps = {i.cashier: i.gaps for i in reconciled.invoices if i.gaps}
    duplicates = {i.cashier: i.duplicates for i in reconciled.invoices if i.duplicates}
    assert gaps == {day.gap[0]: [day.gap[1]]}
    assert duplicates == {day.duplicate[0]: [day.duplicate[1:]]}
    unpaid = [(r.station, r.reference, r.detail) for r in reconciled.pharmacy if r.finding == "dispensed_unpaid"]
    assert unpaid == [(*day.unpaid, "refund")]


def _each_cashier_takes_their_charges_minus_refunds(reconciled, day: Day, his):
    """Per cashier and payment method: the reconciliation's net is the charges minus the voids and
    refunds the cashier's journals hold, is the stations' own handovers added up, and is what the
    merged HIS holds (its refund rows negative)."""
    events = [e for name in test_kill.STATIONS for e in day.journal(name)]
    charges = {e["payload"]["charge_no"]: e for e in events if e["kind"] == "charge"}
    journals, handovers, in_his = Counter(), Counter(), Counter()
    for e in charges.values():
        journals[(e["operator"], e["payload"]["payment_method"])] += Decimal(e["payload"]["total"])
    for e in events:
        if e["kind"] in ("void", "refund"):
            charge = charges[e["payload"]["charge_no"]]
            journals[(charge["operator"], charge["payload"]["payment_method"])] -= Decimal(e["payload"]["amount"])
    for name in test_kill.STATIONS:
        station = day.open(name)
        try:
            for code in {cashier(other).code for other in test_kill.STATIONS}:
                for method, sums in charging.takings(station, code)["by_method"].items():
                    handovers[(code, method)] += sums["net"]
        finally:
            station.close()
    for code, way, costs in his.query("SELECT {OPERATOR_NO}, {PAY_WAY}, SUM({COSTS}) FROM {OUTP_CHARGE} "
                                      "WHERE {EMERGENCY_EVENT_ID} IS NOT NULL GROUP BY {OPERATOR_NO}, {PAY_WAY}"):
        in_his[(code, demo_his.PAY_WAYS[way])] += Decimal(costs)
    reconciled_nets = {(t.cashier, m): s.net for t in reconciled.takings for m, s in t.during.items()}
    assert sorted(t.cashier for t in reconciled.takings) == sorted(cashier(n).code for n in test_kill.STATIONS)
    assert reconciled_nets == dict(journals) == dict(handovers) == dict(in_his)
    assert all(t.net > 0 for t in reconciled.takings)

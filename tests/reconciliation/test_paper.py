"""补录: paper sheets entered into the journal of the department's paper station, chained as a
workstation chains its events, received via "paper"; what is left per department."""
from datetime import datetime
from decimal import Decimal

import pytest

from lifeline.accounts.roles import Role
from lifeline.his.canonical import RECORDS, InvalidValue
from lifeline.reconciliation import paper, services
from lifeline.reconciliation.models import PaperEntry
from lifeline.recovery.models import ReceivedEvent, StationJournal
from lifeline.recovery.records import records_of
from lifeline.workstation.journal import GENESIS, Event, chain_hash
from tests.incidents.conftest import SHANGHAI

pytestmark = pytest.mark.django_db

SHEET = {"serial": "0001", "recorded_at": "2026-11-22T10:15", "operator": "C05", "card_no": "T9", "invoice_no": "7001",
         "payment_method": "cash", "lines": "药品 D001 2 9.80 甲\nprice_item F01 1 5.00 丙"}


@pytest.fixture
def clerk(make_user, client):
    user = make_user("clerk", Role.DEPARTMENT)
    client.force_login(user)
    return user


def collect(client, form, sheets, department="门诊收费处"):
    answer = client.post("/reconciliation/paper/", {"department": department, "form": form, "sheets": sheets})
    assert answer.status_code == 302, answer.content.decode()
    return answer["Location"]


def test_a_sheet_entered_is_a_chained_paper_event(clerk, client):
    bundle = collect(client, "charge_sheet", 2)

    assert client.post(bundle, SHEET).status_code == 302
    assert client.post(bundle, {**SHEET, "serial": "0002", "invoice_no": "7002", "insurance_no": "YB-9",
                                "insurance_unit": "市医保"}).status_code == 302

    events = list(ReceivedEvent.objects.filter(station__name="纸质补录 门诊收费处").order_by("seq"))
    assert [(e.seq, e.kind, e.via, e.operator) for e in events] == [(1, "charge", "paper", "C05"),
                                                                   (2, "charge", "paper", "C05")]
    assert events[0].prev_hash == GENESIS and events[1].prev_hash == events[0].hash
    for e in events:
        fields = {name: getattr(e, name) for name in Event.__dataclass_fields__ if name != "station"}
        assert chain_hash(e.prev_hash, Event(station=e.station.name, **fields).body()) == e.hash
    assert events[0].payload["total"] == "24.60" and events[0].payload["invoice_no"] == 7001
    assert events[1].payload["settlement"] == "pending_insurance"
    assert StationJournal.objects.get(station=events[0].station).received_seq == 2
    assert [e.entered_by for e in PaperEntry.objects.all()] == [clerk, clerk]


def test_what_is_left_shows_per_department(clerk, client):
    slips = collect(client, "registration_slip", 3, department="急诊科")
    collect(client, "charge_sheet", 2)
    client.post(slips, {"serial": "A1", "recorded_at": "2026-11-22T10:00", "operator": "R01", "card_no": "T3",
                        "department_code": "JZ", "fee": "5.00"})

    left = {(row["department"], row["form"]): (row["collected"], row["entered"], row["left"])
            for row in paper.left_per_department()}
    assert left == {("急诊科", "手工挂号单"): (3, 1, 2), ("门诊收费处", "划价收费登记单"): (2, 0, 2)}
    page = client.get("/reconciliation/paper/").content.decode()
    assert "急诊科" in page and "手工挂号单" in page and "待录入" in page
    assert "已录入 1 张，共 3 张" in client.get(slips).content.decode()


def test_bad_sheets_are_refused_naming_the_field_and_nothing_is_stored(clerk, client):
    bundle = collect(client, "charge_sheet", 1)

    bad = client.post(bundle, {**SHEET, "lines": "drug D001 2 9.80 甲\ndrug D002 zwei 3.00 乙"})
    assert bad.status_code == 400 and "第 2 行：zwei 不是数字" in bad.content.decode()
    half = client.post(bundle, {**SHEET, "insurance_no": "YB-1"})
    assert half.status_code == 400 and "医保号和参保单位" in half.content.decode()
    assert not ReceivedEvent.objects.exists() and not PaperEntry.objects.exists()

    assert client.post(bundle, SHEET).status_code == 302
    again = client.post(bundle, {**SHEET, "serial": "0001"})
    assert again.status_code == 400 and "0001 号已录入" in again.content.decode()
    full = client.post(bundle, {**SHEET, "serial": "0009"})
    assert full.status_code == 400 and "1 张均已录入" in full.content.decode()
    assert ReceivedEvent.objects.count() == 1


def test_paper_charges_count_in_the_cashiers_takings(clerk, client, make_user):
    sheets = collect(client, "charge_sheet", 1)
    log = collect(client, "dispensing_log", 1, department="药剂科")
    client.post(sheets, SHEET)
    charge_no = ReceivedEvent.objects.get(kind="charge").payload["charge_no"]
    client.post(log, {"serial": "F1", "recorded_at": "2026-11-22T10:30", "operator": "Y02", "card_no": "T9",
                      "pharmacy_code": "YF1", "lines": "D001 2", "charge_no": charge_no})
    rec = services.create(clerk, start=datetime(2026, 11, 22, 8, tzinfo=SHANGHAI),
                          end=datetime(2026, 11, 22, 12, tzinfo=SHANGHAI))

    found, _note = services.compute(rec)

    assert [(t.cashier, t.net) for t in found.takings] == [("C05", Decimal("24.60"))]
    assert [(r.finding, r.reference) for r in found.pharmacy] == [("dispensed", charge_no)]


@pytest.mark.parametrize("form, sheet", [
    ("registration_slip", {"card_no": "T3", "department_code": "JZ", "fee": "5.00"}),
    ("prescription", {"card_no": "T3", "doctor_code": "D0001", "pharmacy_code": "YF1", "lines": "Y001 2 每日三次",
                      "visit_no": "V1"}),
    ("charge_sheet", {"card_no": "T3", "invoice_no": "7001", "payment_method": "wechat",
                      "lines": "项目 F01 1 5.00 乙"}),
    ("dispensing_log", {"card_no": "T3", "pharmacy_code": "YF1", "lines": "Y001 2"}),
])
def test_each_paper_form_gives_valid_emergency_records_to_merge(clerk, client, form, sheet):
    bundle = collect(client, form, 1)
    answer = client.post(bundle, {"serial": "9", "recorded_at": "2026-11-22T10:00", "operator": "S01", **sheet})
    assert answer.status_code == 302, answer.content.decode()

    made = records_of(ReceivedEvent.objects.get())

    assert made
    for name, record in made:
        for field in RECORDS[name].fields:
            try:
                field.clean(record.get(field.name))
            except InvalidValue as exc:
                pytest.fail(f"{name}.{field.name} = {record.get(field.name)!r}: {exc}")

"""The workstation's pages, served by `python -m lifeline.workstation.serve` in a subprocess
(its own Django settings) and driven over HTTP: modes, sign-in, the desks, refusals beside their
field with nothing written."""
import base64
import re
import sqlite3

import pytest

from lifeline.package.keys import KeyStore
from lifeline.workstation import receipt
from tests.workstation.served import Browser, Served, journal_count, station_dir


@pytest.fixture(scope="module")
def stations(tmp_path_factory):
    """Two stations holding the same package key (a cashier's and a pharmacy's)."""
    root = tmp_path_factory.mktemp("stations")
    first = station_dir(root / "S1")
    second = station_dir(root / "S2", keys_file=first / "station-keys.json", lease_base=200_001)
    served = [Served(first, "S1"), Served(second, "S2")]
    yield [(served[0], first), (served[1], second)]
    for one in served:
        one.stop()


def _error_beside(html, name):
    """The refusal shown in the label of the input `name`."""
    found = re.search(r'<label class="field[^"]*refused[^"]*">(?:(?!</label>).)*name="' + re.escape(name)
                      + r'"(?:(?!</label>).)*<em class="error">([^<]+)</em>', html, re.S)
    return found and found.group(1)


def test_ready_station_looks_up_but_takes_no_credentials(stations):
    (served, directory), _ = stations
    desk = Browser(served)
    found = desk.get("/patients/", way="initials", q="zs")
    assert found.status_code == 200 and "张三" in found.text and "张珊" in found.text
    assert "full-test-0001" in found.text and "就绪" in found.text
    assert "default-src 'self'" in found.headers["Content-Security-Policy"]
    before = journal_count(directory)
    refused = desk.sign_in("0201")
    assert refused.status_code == 200 and 'role="alert"' in refused.text
    assert journal_count(directory) == before
    assert desk.get("/charge/").url.endswith("/login/?next=/charge/")


def test_a_supervisor_declares_downtime_with_the_emergency_pin(stations):
    for served, directory in stations:
        desk = Browser(served)
        before = journal_count(directory)
        wrong = desk.post("/mode/", {"mode": "emergency", "code": "0901", "pin": "nope"})
        assert wrong.status_code == 400 and "再错 4 次" in _error_beside(wrong.text, "pin")
        assert journal_count(directory) == before + 1  # the wrong try, recorded (lockout.py)
        not_boss = desk.post("/mode/", {"mode": "emergency", "code": "0201", "pin": "应急-2026"})
        assert "再错 3 次" in _error_beside(not_boss.text, "pin")
        done = desk.post("/mode/", {"mode": "emergency", "code": "0901", "pin": "应急-2026", "reason": "HIS down"})
        assert done.status_code == 200 and "mode-emergency" in done.text
        assert journal_count(directory) == before + 3


def test_five_wrong_pins_lock_the_station_with_a_message_beside_the_pin(tmp_path):
    directory = station_dir(tmp_path / "S7")
    served = Served(directory, "S7")
    try:
        desk = Browser(served)
        before = journal_count(directory)
        for _ in range(4):
            desk.post("/mode/", {"mode": "emergency", "code": "0901", "pin": "1234"})
        locked = desk.post("/mode/", {"mode": "emergency", "code": "0901", "pin": "4321"})
        assert "15 分钟内不再接受 PIN" in _error_beside(locked.text, "pin")
        assert journal_count(directory) == before + 6  # five wrong tries and the lockout
        right = desk.post("/mode/", {"mode": "emergency", "code": "0901", "pin": "应急-2026"})
        assert right.status_code == 400 and "不再接受 PIN" in _error_beside(right.text, "pin")
        assert "mode-ready" in right.text and journal_count(directory) == before + 6
    finally:
        served.stop()


def test_cashier_confirms_prices_sets_the_invoice_and_charges(stations):
    (served, directory), _ = stations
    desk = Browser(served)
    assert _error_beside(desk.sign_in("0201", "wrong").text, "password")
    desk.sign_in("0201")
    assert "/prices/" in desk.get("/charge/").url
    desk.post("/prices/", {"confirm": "yes", "next": "/charge/"})
    assert desk.get("/charge/").url.endswith("/invoice/?next=/charge/")
    bad = desk.post("/invoice/", {"invoice_no": "5000"})
    assert _error_beside(bad.text, "invoice_no")
    assert desk.post("/invoice/", {"invoice_no": "1000"}).url.endswith("/charge/")
    before = journal_count(directory)
    refused = desk.post("/charge/", {"card_no": "C0002", "invoice_no": "1000", "payment_method": "cash",
                                     "lines.0.item_code": "F001", "lines.0.quantity": "1",
                                     "lines.1.item_code": "NOPE", "lines.1.quantity": "1",
                                     "insurance_no": "YB0002"})
    assert _error_beside(refused.text, "insurance_unit")
    refused = desk.post("/charge/", {"card_no": "C0002", "invoice_no": "1000", "payment_method": "cash",
                                     "lines.0.item_code": "F001", "lines.0.quantity": "1",
                                     "lines.1.item_code": "NOPE", "lines.1.quantity": "1"})
    assert _error_beside(refused.text, "lines.1.item_code")
    assert 'value="NOPE"' in refused.text
    assert journal_count(directory) == before
    done = desk.post("/charge/", {"card_no": "C0002", "invoice_no": "1000", "payment_method": "wechat",
                                  "lines.0.item_code": "F001", "lines.0.quantity": "1",
                                  "lines.1.item_code": "Y001", "lines.1.quantity": "2",
                                  "insurance_no": "YB0002", "insurance_unit": "某某公司"})
    assert re.search(r"/charges/\d+/$", done.url)
    assert "<svg" in done.text and "50.00" in done.text and "YB0002" in done.text
    code = re.search(r'<p class="small code-text">([^<]+)</p>', done.text).group(1)
    assert receipt.read(code, KeyStore(file=directory / "station-keys.json"))["card_no"] == "C0002"
    assert "¥50.00" in desk.get("/takings/").text


def test_registration_a_new_card_and_the_slip(stations):
    (served, _directory), _ = stations
    desk = Browser(served)
    desk.sign_in("0401")
    refused = desk.post("/register/", {"card_no": "C9999", "schedule_id": "S-AM-1"})
    assert _error_beside(refused.text, "card_no")
    card = desk.post("/card/", {"name": "王五", "sex": "1", "birth_date": "1990-03-04"})
    assert "new=1" in card.url
    card_no = re.search(r"card_no=(\d+)", card.url).group(1)
    slip = desk.post("/register/", {"card_no": card_no, "schedule_id": "S-AM-1"})
    assert "/slip/" in slip.url and "王五" in slip.text and "¥20.00" in slip.text
    assert desk.get("/dispense/").status_code == 403  # a registrar does not dispense


def test_a_pharmacist_at_another_station_dispenses_by_the_receipts_code(stations):
    (served, _), (pharmacy_served, pharmacy_dir) = stations
    cashier = Browser(served)
    cashier.sign_in("0201")
    charged = cashier.post("/charge/", {"card_no": "C0001", "invoice_no": "1001", "payment_method": "cash",
                                        "lines.0.item_code": "Y002", "lines.0.quantity": "1"})
    code = re.search(r'<p class="small code-text">([^<]+)</p>', charged.text).group(1)
    pharmacist = Browser(pharmacy_served)
    pharmacist.sign_in("0301")
    before = journal_count(pharmacy_dir)
    damaged = pharmacist.post("/dispense/", {"code": code[:-6], "pharmacy_code": "PH1"})
    assert _error_beside(damaged.text, "code") and journal_count(pharmacy_dir) == before
    body, tag = code.removeprefix(receipt.PREFIX).split(".")
    raised = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).replace(b'"1"]', b'"9"]')  # 1 box made 9
    edited = f"{receipt.PREFIX}{base64.urlsafe_b64encode(raised).decode().rstrip('=')}.{tag}"
    refused = pharmacist.post("/dispense/", {"code": edited, "pharmacy_code": "PH1"})
    assert "签名" in _error_beside(refused.text, "code") and journal_count(pharmacy_dir) == before
    done = pharmacist.post("/dispense/", {"code": code, "pharmacy_code": "PH1"})
    assert "布洛芬缓释胶囊" in done.text and journal_count(pharmacy_dir) == before + 1
    again = pharmacist.post("/dispense/", {"code": code, "pharmacy_code": "PH1"})
    assert _error_beside(again.text, "code")


def test_prescription_out_of_stock_is_refused_beside_the_line(stations):
    (served, directory), _ = stations
    desk = Browser(served)
    desk.sign_in("0201")
    visit = desk.post("/register/", {"card_no": "C0001", "schedule_id": "S-AM-2", "free_of_fee": "1"})
    visit_no = re.search(r"/visits/(\d+)/slip/", visit.url).group(1)
    before = journal_count(directory)
    refused = desk.post("/prescription/", {"visit_no": visit_no, "doctor_code": "0101", "pharmacy_code": "PH1",
                                           "lines.0.drug_code": "Y002", "lines.0.quantity": "99"})
    assert _error_beside(refused.text, "lines.0.quantity") and journal_count(directory) == before
    done = desk.post("/prescription/", {"visit_no": visit_no, "doctor_code": "0101", "pharmacy_code": "PH1",
                                        "lines.0.drug_code": "Y001", "lines.0.quantity": "1"})
    assert done.status_code == 200 and journal_count(directory) == before + 1


def test_a_drill_marks_every_page_and_back_to_ready_signs_everyone_out(stations):
    (served, directory), _ = stations
    supervisor, cashier = Browser(served), Browser(served)
    cashier.sign_in("0201")
    drill = supervisor.post("/mode/", {"mode": "drill", "code": "0901", "pin": "应急-2026", "reason": "季度演练"})
    assert "mode-drill" in drill.text and "drill-banner" in drill.text
    assert "/prices/" in cashier.get("/charge/").url  # a new mode: the price version confirmed again
    cashier.post("/prices/", {"confirm": "yes"})
    charged = cashier.post("/charge/", {"card_no": "C0003", "invoice_no": "1002", "payment_method": "cash",
                                        "lines.0.item_code": "F002", "lines.0.quantity": "1"})
    assert "门诊收费收据 · 演练" in charged.text
    supervisor.post("/mode/", {"mode": "ready", "code": "0901", "pin": "应急-2026"})
    assert "/login/" in cashier.get("/charge/").url
    assert "张三" in cashier.get("/patients/", way="card_no", q="C0001").text  # lookups still work


def test_a_station_without_a_package_says_so(tmp_path):
    directory = tmp_path / "S9"
    directory.mkdir()
    KeyStore(file=directory / "station-keys.json").create()
    served = Served(directory, "S9")
    try:
        answer = Browser(served).get("/")
        assert answer.status_code == 503 and "station pull" in answer.text
    finally:
        served.stop()


def test_base_data_the_stations_key_does_not_open_is_a_clear_page_not_a_500(tmp_path):
    directory = station_dir(tmp_path / "S8")
    (directory / "base.sqlite3").unlink()
    sqlite3.connect(directory / "base.sqlite3").execute("CREATE TABLE patient (card_no TEXT)").connection.close()
    served = Served(directory, "S8")
    try:
        answer = Browser(served).get("/patients/", way="card_no", q="C0001")
        assert answer.status_code == 503 and "file is not a database" in answer.text
    finally:
        served.stop()

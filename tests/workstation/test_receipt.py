"""The receipt's code, signed: a pharmacist at a second station of the same hospital dispenses a
charge by it; a code edited after printing, one signed with another hospital's keys, and garbage
are refused naming the field `code`, with the pharmacy's journal unchanged."""
import base64
import json
from datetime import UTC, datetime

import pytest
import segno

from lifeline.package.keys import KeyStore
from lifeline.workstation import charging, pharmacy, receipt
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.station import Station
from tests.workstation.base_data import write_base
from tests.workstation.test_desk import CASHIER, PHARMACIST

TWO = [{"item_kind": "price_item", "item_code": "F001", "quantity": "1", "unit_price": "25.00"},
       {"item_kind": "drug", "item_code": "Y001", "quantity": "2", "unit_price": "12.50"}]


@pytest.fixture
def hospital_keys(tmp_path):
    """The hospital's package keys, as every one of its stations holds them."""
    keys = KeyStore(file=tmp_path / "station-keys.json")
    keys.create(datetime(2026, 12, 1, tzinfo=UTC))
    return keys


@pytest.fixture
def second_station(tmp_path, key, in_force, station_clock):
    """The pharmacy's station: the same package, its own journal."""
    directory = tmp_path / "pharmacy"
    directory.mkdir()
    write_base(directory, key)
    station = Station.open(directory, key, in_force, station_clock)
    yield station
    station.close()


@pytest.fixture
def charged(station):
    charging.set_invoice_number(station, CASHIER, "1000")
    return charging.charge(station, CASHIER, "C0002", "1000", TWO, "cash")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _edited(text, change):
    """The code with its slip changed and its signature kept, as a forger would make it."""
    body, tag = text.removeprefix(receipt.PREFIX).split(".")
    slip = json.loads(_unb64(body))
    change(slip)
    return f"{receipt.PREFIX}{_b64(json.dumps(slip, separators=(',', ':')).encode())}.{tag}"


def test_a_good_code_dispenses_at_a_second_station(charged, second_station, hospital_keys):
    text = receipt.code(charged, hospital_keys)
    slip = receipt.read(text, hospital_keys)
    assert (slip["charge_no"], slip["card_no"], slip["station"]) == (charged.payload["charge_no"], "C0002", "S1")
    given = pharmacy.dispense(second_station, PHARMACIST, slip["charge_no"], "PH1", receipt=slip)
    assert given.payload["lines"] == [{"drug_code": "Y001", "quantity": "2"}]


def test_the_code_is_short_enough_for_a_cheap_scanner(station, hospital_keys):
    charging.set_invoice_number(station, CASHIER, "1000")
    six = [{"item_kind": "drug", "item_code": code, "quantity": "12", "unit_price": price}
           for code, price in (("Y001", "12.50"), ("Y002", "18.00"))] * 3
    text = receipt.code(charging.charge(station, CASHIER, "C0002", "1000", six, "cash"), hospital_keys)
    qr = segno.make(text, error="m")
    print(f"receipt code of 6 drug lines: {len(text)} characters, QR version {qr.version}")
    assert len(text) <= 300 and qr.version <= 12  # about 65 modules a side: 0.25 mm each on a 16 mm code


@pytest.mark.parametrize("forge,says", [
    (lambda s: s["d"][0].__setitem__(1, "20"), "does not match its signature"),  # 2 boxes made 20
    (lambda s: s.__setitem__("p", "C0001"), "does not match its signature"),  # another patient's card
    (lambda s: s["d"].append(["Y002", "1"]), "does not match its signature"),  # a drug added
])
def test_an_edited_code_is_refused_and_nothing_is_written(charged, second_station, hospital_keys, forge, says):
    text = _edited(receipt.code(charged, hospital_keys), forge)
    before = second_station.journal.count()
    with pytest.raises(StationRefused) as refused:
        receipt.read(text, hospital_keys)
    assert refused.value.field == "code" and says in refused.value.message
    assert second_station.journal.count() == before


def test_a_code_signed_with_another_hospitals_keys_is_refused(charged, tmp_path, hospital_keys):
    elsewhere = KeyStore(file=tmp_path / "other-hospital.json")
    elsewhere.create(datetime(2026, 12, 2, tzinfo=UTC))
    with pytest.raises(StationRefused) as refused:
        receipt.read(receipt.code(charged, elsewhere), hospital_keys)
    assert refused.value.field == "code" and "another hospital" in refused.value.message


@pytest.mark.parametrize("garbage", ["hello", "LLRC2:", "LLRC2:!!!.###", "LLRC2:e30", "LLRC2:e30.AAAA",
                                     "LLRC1:eyJjaGFyZ2Vfbm8iOiIxIn0"])
def test_garbage_is_refused_naming_the_code(garbage, hospital_keys):
    with pytest.raises(StationRefused) as refused:
        receipt.read(garbage, hospital_keys)
    assert refused.value.field == "code" and refused.value.message

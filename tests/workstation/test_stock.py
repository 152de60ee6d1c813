"""Local stock rebased on a newer package: the newer package's stock already counts what the HIS
knew when it was read, so only the moves the station made after that are subtracted. The
package arrives as `pull` leaves it (base.sqlite3 and holding.json replaced); the desk's
station follows it on the next request."""
import json
import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from lifeline.package.keys import KeyStore
from lifeline.workstation import modes, pharmacy, stock, store
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import verify
from lifeline.workstation.web.desk import Desk
from tests.workstation.base_data import ROWS, write_base
from tests.workstation.test_desk import PHARMACIST

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def _package(directory, package_id, read_at, y001_batches):
    """A package applied as pull applies one: the base data replaced in one step, then holding.json."""
    newer = directory / "incoming"
    newer.mkdir(exist_ok=True)
    rows = {**ROWS, "drug_stock": [("PH1", "Y001", batch, qty, None) for batch, qty in y001_batches]
            + [row for row in ROWS["drug_stock"] if row[1] != "Y001"]}
    write_base(newer, store.data_key(directory / "station-keys.json"), rows)
    os.replace(newer / "base.sqlite3", directory / "base.sqlite3")
    (directory / "holding.json").write_text(json.dumps({"applied": package_id, "built_at": read_at.isoformat(),
                                                        "price_version": "price_item:abc/drug:def"}))


@pytest.fixture
def desk(tmp_path, clock):
    clock.freeze(T0)
    directory = tmp_path / "PH1"
    directory.mkdir()
    KeyStore(file=directory / "station-keys.json").create(T0)
    _package(directory, "full-0001", T0 - timedelta(minutes=5), [("B1", "10"), ("B2", "5")])  # 15 boxes
    desk = Desk(directory, directory / "station-keys.json", "PH1")
    modes.declare(desk.station(), "emergency", "0901", modes.PIN)
    yield desk
    desk.station().close()


def _give(desk, clock, at_minute, slip_no, quantity):
    clock.freeze(T0 + timedelta(minutes=at_minute))
    pharmacy.dispense_by_hand(desk.station(), PHARMACIST, slip_no, "C0002", "PH1",
                              [{"drug_code": "Y001", "quantity": quantity}])


def test_moves_the_newer_package_counted_are_not_subtracted_twice(desk, clock):
    _give(desk, clock, 10, "纸-1", "3")
    _give(desk, clock, 30, "纸-2", "2")
    assert stock.available(desk.station(), "PH1", "Y001") == Decimal(10)  # 15 - 3 - 2

    # At 08:20 the HIS was read again: it counted the 3 boxes (12 left), not yet the 2 of 08:30.
    _package(desk.directory, "incr-0002", T0 + timedelta(minutes=20), [("B1", "7"), ("B2", "5")])
    station = desk.station()
    assert station.journal.in_force.package_id == "incr-0002"
    assert stock.available(station, "PH1", "Y001") == Decimal(10)  # 12 - 2, not 12 - 3 - 2

    with pytest.raises(StationRefused) as refused:
        _give(desk, clock, 40, "纸-3", "11")
    assert refused.value.field == "lines.0.quantity" and "10 of Y001 left" in refused.value.message
    _give(desk, clock, 41, "纸-4", "10")
    assert stock.available(station, "PH1", "Y001") == Decimal(0)

    # A package read after every move: its stock is the whole truth, nothing subtracted.
    _package(desk.directory, "incr-0003", T0 + timedelta(minutes=50), [("B1", "0"), ("B2", "0")])
    assert stock.available(desk.station(), "PH1", "Y001") == Decimal(0)
    assert desk.station().db.execute("SELECT count(*) FROM stock_moves").fetchone()[0] == 3  # kept, journal intact
    assert verify(desk.station().db).ok


def test_a_station_that_does_not_know_when_its_data_was_read_subtracts_every_move(desk, clock):
    _give(desk, clock, 10, "纸-1", "3")
    holding = json.loads((desk.directory / "holding.json").read_text())
    holding.pop("built_at")
    holding["applied"] = "unknown-age"
    (desk.directory / "holding.json").write_text(json.dumps(holding))
    station = desk.station()
    assert station.as_of is None and stock.available(station, "PH1", "Y001") == Decimal(12)

"""Local stock rebased on what the package's HIS had merged: a package's manifest says which of
the station's events the HIS held merged when the package read it (`merged`); an emergency move
is subtracted unless its event is among them, whenever it was made; a drill move only while it
was made after the package read the HIS; a package that does not say keeps the rule of time.
(Merge-back and a build end to end: tests/recovery/test_stock_after_merge.py.)"""
import json
import sqlite3
from datetime import timedelta
from decimal import Decimal

from lifeline.package import container
from lifeline.package.keys import KeyStore
from lifeline.workstation import modes, stock
from lifeline.workstation.journal import verify
from tests.workstation.test_stock import T0, _give, _package, desk  # noqa: F401 (desk: a fixture)


def _pulled(desk, package_id, read_at, y001_batches, merged=None, say_merged=True):
    """A package as pull leaves it: its file in DIR/packages (its manifest saying `merged` unless
    `say_merged` is False: an older package), the base data and holding.json replaced."""
    packages = desk.directory / "packages"
    packages.mkdir(exist_ok=True)
    plain = desk.directory / "plain.sqlite3"
    sqlite3.connect(plain).close()
    key = KeyStore(file=desk.directory / "station-keys.json").current()
    manifest = {"package_id": package_id, "key_id": key.id, "kind": "incremental", "built_at": read_at.isoformat()}
    if say_merged:
        manifest["merged"] = merged or {}
    container.write(plain, packages / f"{package_id}{container.SUFFIX}", manifest, key)
    plain.unlink()
    _package(desk.directory, package_id, read_at, y001_batches)
    return desk.station()


def _moves(desk) -> dict[int, str]:
    """seq -> quantity of the station's stock moves."""
    return dict(desk.station().db.execute("SELECT seq, quantity FROM stock_moves ORDER BY seq"))


def test_moves_stay_subtracted_until_a_package_read_after_their_merge(desk, clock):
    _give(desk, clock, 10, "纸-1", "3")
    assert stock.available(desk.station(), "PH1", "Y001") == Decimal(12)
    # The HIS is back at 09:00 and a package is read before merge-back ran: its stock is still 15.
    station = _pulled(desk, "incr-0002", T0 + timedelta(minutes=60), [("B1", "10"), ("B2", "5")])
    assert station.merged == []
    assert stock.available(station, "PH1", "Y001") == Decimal(12)  # 15 - 3, not 15
    # Merged at 09:10 (the HIS's stock 12); the next package, read at 09:20, counts the 3 boxes.
    seqs = sorted(_moves(desk))
    station = _pulled(desk, "incr-0003", T0 + timedelta(minutes=80), [("B1", "7"), ("B2", "5")],
                      {"PH1": [[1, seqs[-1]]], "收费-09": [[1, 400]]})
    assert station.merged == [[1, seqs[-1]]]
    assert stock.available(station, "PH1", "Y001") == Decimal(12)  # the HIS's stock, nothing subtracted
    assert verify(station.db).ok


def test_a_move_held_back_as_a_conflict_stays_subtracted(desk, clock):
    _give(desk, clock, 10, "纸-1", "3")
    _give(desk, clock, 20, "纸-2", "2")
    first, second = sorted(_moves(desk))
    # Merged but for the first dispensing (its conflict still open): the HIS counts the 2 boxes.
    station = _pulled(desk, "incr-0002", T0 + timedelta(minutes=60), [("B1", "8"), ("B2", "5")],
                      {"PH1": [[1, first - 1], [second, second]]})
    assert stock.available(station, "PH1", "Y001") == Decimal(10)  # 13 - 3
    station = _pulled(desk, "incr-0003", T0 + timedelta(minutes=90), [("B1", "5"), ("B2", "5")],
                      {"PH1": [[1, second]]})
    assert stock.available(station, "PH1", "Y001") == Decimal(10)


def test_drill_moves_drop_out_with_the_next_package_emergency_moves_do_not(desk, clock):
    modes.declare(desk.station(), "drill", "0901", modes.PIN)
    _give(desk, clock, 10, "演练-1", "4")
    assert stock.available(desk.station(), "PH1", "Y001") == Decimal(11)
    modes.declare(desk.station(), "emergency", "0901", modes.PIN)
    _give(desk, clock, 20, "纸-1", "3")
    assert stock.available(desk.station(), "PH1", "Y001") == Decimal(8)
    # Read at 08:30, nothing merged: the drill's boxes never reach the HIS, and drop out; the
    # emergency dispensing was made before the read too, but stays subtracted until merged.
    station = _pulled(desk, "incr-0002", T0 + timedelta(minutes=30), [("B1", "10"), ("B2", "5")],
                      {"PH1": [[1, 2]]})
    assert stock.available(station, "PH1", "Y001") == Decimal(12)
    # A drill move made after the package read the HIS is subtracted, as any.
    modes.declare(station, "drill", "0901", modes.PIN)
    _give(desk, clock, 40, "演练-2", "1")
    assert stock.available(desk.station(), "PH1", "Y001") == Decimal(11)


def test_a_package_that_does_not_say_keeps_the_rule_of_time(desk, clock):
    _give(desk, clock, 10, "纸-1", "3")
    _give(desk, clock, 30, "纸-2", "2")
    # An older package (no `merged` in its manifest) read at 08:20: only the move after it counts.
    station = _pulled(desk, "incr-0002", T0 + timedelta(minutes=20), [("B1", "7"), ("B2", "5")], say_merged=False)
    assert station.merged is None
    assert stock.available(station, "PH1", "Y001") == Decimal(10)  # 12 - 2
    # Its file gone (holding.json only): the same.
    (desk.directory / "packages" / "incr-0002.llsnap").unlink()
    _package(desk.directory, "incr-0002", T0 + timedelta(minutes=20), [("B1", "7"), ("B2", "5")])
    station = desk.station()
    assert station.merged is None and stock.available(station, "PH1", "Y001") == Decimal(10)


def test_holding_json_may_carry_what_the_package_merged(desk, clock):
    _give(desk, clock, 10, "纸-1", "3")
    _package(desk.directory, "incr-0002", T0 + timedelta(minutes=60), [("B1", "10"), ("B2", "5")])
    holding = json.loads((desk.directory / "holding.json").read_text())
    (desk.directory / "holding.json").write_text(json.dumps({**holding, "merged": {"PH2": [[1, 9]]}}))
    station = desk.station()
    assert station.merged == [] and stock.available(station, "PH1", "Y001") == Decimal(12)

"""A station's local stock across the HIS coming back, end to end: the station dispenses in
downtime; a package built before merge-back still has the stock from before, so the station
keeps subtracting what it gave; merge-back writes the events (and their ledger rows) into the
HIS; the next package, read after it, counts them, and nothing is subtracted any more. The
packages are built from a demo HIS and applied as `station pull` leaves them (DIR/packages,
base.sqlite3, holding.json). Workstation-level cases: tests/workstation/test_stock_merged.py."""
import json
import shutil
from dataclasses import asdict
from datetime import timedelta

import pytest

from lifeline.package import applying, container
from lifeline.package.keys import KeyStore
from lifeline.recovery import merging
from lifeline.recovery.models import MergeRun
from lifeline.snapshots import builder
from lifeline.workstation import basedata, modes, pharmacy, stock, store
from lifeline.workstation.journal import price_version
from lifeline.workstation.web.desk import Desk
from tests.recovery.merge_data import built, facts, his, receive  # noqa: F401 (fixtures)
from tests.workstation.test_desk import PHARMACIST

pytestmark = pytest.mark.django_db
NAME = "收费-01"  # the station's code in its events, and its name on the server


def _pull(directory, keys):
    """The newest chain as `station pull` leaves it: its files in DIR/packages, the base data
    sealed with the station's key, holding.json naming the newest package."""
    chain = builder.latest_chain()
    packages = directory / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    paths = [shutil.copy(p.path, packages / p.file) for p in chain]
    temp = directory / "plain.sqlite3"
    applying.apply(paths, temp, KeyStore(file=keys))
    basedata.seal(temp, directory / "sealed.sqlite3", store.data_key(keys))
    temp.unlink()
    (directory / "sealed.sqlite3").replace(directory / "base.sqlite3")
    newest = container.open_package(paths[-1]).manifest
    (directory / "holding.json").write_text(json.dumps({
        "applied": chain[-1].package_id, "packages": [p.package_id for p in chain], "built_at": newest["built_at"],
        "price_version": price_version(newest)}))
    return newest


def _his_takes(his, pharmacy_code, drug, quantity):
    """What the HIS does with merged dispensing (the demo HIS keeps no stock of its own dispensing;
    a HIS does, in the same transaction): its stock lowered by `quantity`, from one batch."""
    his.execute("UPDATE {DRUG_STOCK} SET {QUANTITY} = {QUANTITY} - :quantity WHERE {STORAGE} = :pharmacy AND "
                "{DRUG_CODE} = :drug AND {BATCH_NO} = (SELECT MAX({BATCH_NO}) FROM {DRUG_STOCK} WHERE "
                "{STORAGE} = :pharmacy AND {DRUG_CODE} = :drug AND {QUANTITY} >= :quantity)",
                pharmacy=pharmacy_code, drug=drug, quantity=quantity)


def test_dispensed_stock_is_subtracted_until_a_package_read_after_its_merge(his, snapshot_dir, station_keys,
                                                                            tmp_path, clock):
    f = facts(his)
    drug, before = f.drugs[0][0], f.stock[f.drugs[0][0]]
    assert builder.build(his.mapping_path).status == "published"
    directory = tmp_path / NAME
    assert _pull(directory, station_keys)["merged"] == {}  # the HIS has no merge ledger yet
    desk = Desk(directory, station_keys, NAME)
    modes.declare(desk.station(), "emergency", "0901", modes.PIN)

    clock.advance(minutes=10)  # downtime: 3 boxes given by hand
    pharmacy.dispense_by_hand(desk.station(), PHARMACIST, "纸-1", f.patient["card_no"], f.pharmacy,
                              [{"drug_code": drug, "quantity": "3"}])
    assert stock.available(desk.station(), f.pharmacy, drug) == before - 3

    # The HIS is back; the journal is sent; a package is built before merge-back has run.
    clock.advance(minutes=50)
    receive(NAME, [asdict(e) for e in desk.station().journal.events()])
    assert builder.build(his.mapping_path, incremental=True).status == "published"
    assert _pull(directory, station_keys)["merged"] == {}
    station = desk.station()
    assert station.as_of > clock.now() - timedelta(minutes=1)  # read after the dispensing
    assert stock.available(station, f.pharmacy, drug) == before - 3  # not `before`: the HIS does not count it

    # Merge-back; the HIS's stock counts the 3 boxes.
    clock.advance(minutes=10)
    run = merging.run(None, clock.now())
    assert run.state == MergeRun.State.DONE, run.message
    _his_takes(his, f.pharmacy, drug, 3)
    assert facts(his).stock[drug] == before - 3
    # A package built before the ledger was read again still shows the old stock, less the 3.
    assert stock.available(desk.station(), f.pharmacy, drug) == before - 3

    clock.advance(minutes=10)
    assert builder.build(his.mapping_path, incremental=True).status == "published"
    held = len(list(desk.station().journal.events()))
    assert _pull(directory, station_keys)["merged"] == {NAME: [[1, held]]}
    station = desk.station()
    assert station.merged == [[1, held]]
    assert stock.available(station, f.pharmacy, drug) == before - 3  # the HIS's stock, nothing subtracted
    desk.station().close()


def test_drill_events_are_holes_in_what_a_package_says_was_merged(his, snapshot_dir, station_keys, tmp_path, clock):
    """The ledger never holds a drill's events: the ranges skip them (gaps and islands in SQL).
    The station is registered on the server under another name than its code: the package
    names it by the code in its events, as the station knows itself."""
    assert builder.build(his.mapping_path).status == "published"
    directory = tmp_path / NAME
    _pull(directory, station_keys)
    desk = Desk(directory, station_keys, NAME)
    f = facts(his)
    for mode, slip in (("emergency", "纸-1"), ("drill", "演练-1"), ("emergency", "纸-2")):
        modes.declare(desk.station(), mode, "0901", modes.PIN)
        clock.advance(minutes=1)
        pharmacy.dispense_by_hand(desk.station(), PHARMACIST, slip, f.patient["card_no"], f.pharmacy,
                                  [{"drug_code": f.drugs[0][0], "quantity": "1"}])
    events = list(desk.station().journal.events())
    receive("门诊收费一号", [asdict(e) for e in events])
    assert merging.run(None, clock.now()).state == MergeRun.State.DONE
    _his_takes(his, f.pharmacy, f.drugs[0][0], 2)  # the two emergency boxes, not the drill's
    clock.advance(minutes=10)
    assert builder.build(his.mapping_path, incremental=True).status == "published"
    drills = [e.seq for e in events if e.mode == "drill"]
    assert drills == [3, 4]  # the drill declared is a drill event already, and its dispensing
    assert _pull(directory, station_keys)["merged"] == {NAME: [[1, 2], [5, len(events)]]}
    assert stock.available(desk.station(), f.pharmacy, f.drugs[0][0]) == f.stock[f.drugs[0][0]] - 2
    desk.station().close()

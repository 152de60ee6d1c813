"""A station that holds a chain, pulling the same chain grown by incrementals, applies only the
new ones onto (a copy of) the base data it holds: the result is exactly what a full apply of
the whole chain gives, search included; a damaged or forged incremental changes nothing and
says why; a chain with a new full package is applied whole; a pull killed while extending
leaves the old base data usable, and the next pull finishes."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lifeline.his import demo_his
from lifeline.package import applying, container, tables
from lifeline.package.keys import KeyStore
from lifeline.snapshots import builder, storage
from lifeline.workstation import pull, search, store
from tests.snapshots.helpers import snapshot_dir  # noqa: F401 (a fixture)
from tests.stations.chains import chain, small_his, station  # noqa: F401 (fixtures)
from tests.stations.test_station_pull import station_keys  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]  # the checkout: `tests` importable in the child


@pytest.fixture
def holding(live_server, chain, station, station_keys, tmp_path):
    """A station's directory holding the chain [full, incremental], pulled from the live server;
    `.pull()` pulls again, `.said` what the last pull said."""

    class Holder:
        dir = tmp_path / "station"
        keystore = KeyStore(file=station_keys)
        key = store.data_key(station_keys)
        server = pull.Server(live_server.url, station[1])
        said: list

        def pull(self):
            self.said = []
            return pull.pull(self.server, self.dir, self.keystore, say=self.said.append)

        def listing(self) -> list[dict]:
            return self.server.json(pull.API + "packages/latest")["packages"]

        def fetch(self) -> tuple[list[Path], list[dict]]:
            """The newest chain downloaded into DIR/packages, not applied: (paths, listing)."""
            listing = self.listing()
            return [pull._fetch(self.server, p, self.dir / "packages", print) for p in listing], listing

        def held(self) -> dict:
            return json.loads((self.dir / "holding.json").read_text())

    holder = Holder()
    holder.pull()
    assert holder.held()["packages"] == [p.package_id for p in chain]
    return holder


def grow(his, *seeds) -> dict:
    """One incremental built and published after each churn of the HIS; what changed, together."""
    changed = {}
    for seed in seeds:
        for name, found in demo_his.churn(his.url, percent=10, seed=seed).items():
            changed.setdefault(name, set()).update(found)
        builder.build(his.mapping_path, incremental=True)
    return changed


def every_row(db) -> dict:
    """Every table's rows, sorted, and the schema (tables and indexes)."""
    schema = sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"), key=repr)
    names = [row[1] for row in schema if row[0] == "table"]
    return {"schema": schema, **{n: sorted(db.execute(f'SELECT * FROM "{n}"'), key=repr) for n in names}}


def leftovers(directory: Path) -> list[str]:
    """New base data not put in place, and private directories of decrypted packages."""
    return [p.name for p in directory.iterdir() if p.name.startswith(".base-") or p.name.split("-")[0].isdigit()]


def station_rows(holder) -> dict:
    db = store.connect(holder.dir / "base.sqlite3", holder.key, durable=False)
    try:
        return every_row(db)
    finally:
        db.close()


def full_apply_rows(paths, tmp_path) -> dict:
    """What a full apply of the chain gives, made searchable as a pull seals it."""
    plain = tmp_path / f"expected-{len(list(tmp_path.glob('expected-*')))}.sqlite3"
    applying.apply(paths, plain, storage.keystore())
    db = sqlite3.connect(plain)
    try:
        search.prepare(db)
        return every_row(db)
    finally:
        db.close()


def test_a_grown_chain_applies_only_its_new_incrementals_and_gives_what_a_full_apply_gives(
        holding, small_his, tmp_path):
    before = {row[0]: row for row in station_rows(holding)["patient"]}
    changed = grow(small_his, 11, 12)
    deleted = changed["patient deleted"]
    added, phoned = changed["patient"] - set(before) - deleted, changed["patient"] & set(before) - deleted
    assert added and deleted and phoned and changed["drug_stock"] and changed["drug"] and changed["price_item"]

    holding.pull()
    newest = builder.latest_chain()
    assert f"applied 2 new incremental packages up to {newest[-1].package_id}" in holding.said
    assert holding.held()["packages"] == [p.package_id for p in newest]
    assert holding.held()["sha256"] == [p.sha256 for p in newest]
    assert station_rows(holding) == full_apply_rows([p.path for p in newest], tmp_path)

    station = pull.open_station(holding.dir, holding.keystore, "S1")
    try:
        for card in added:
            name = station.one("SELECT name FROM base.patient WHERE card_no = ?", (card,))[0]
            for typed in search.initials(name):
                assert card in {p["card_no"] for p in search.find(station.db, "initials", typed)}
            assert [p["card_no"] for p in search.find(station.db, "card_no", card)] == [card]
        for card in deleted:
            assert search.find(station.db, "card_no", card) == []
            for typed in search.initials(before[card][1]):
                assert card not in {p["card_no"] for p in search.find(station.db, "initials", typed)}
        for card in phoned:
            phone = station.one("SELECT phone FROM base.patient WHERE card_no = ?", (card,))[0]
            assert card in {p["card_no"] for p in search.find(station.db, "phone", phone)}
    finally:
        station.close()


def resealed(path: Path, tmp_path: Path, forge) -> Path:
    """The package at `path` decrypted, `forge(db, manifest)` applied, and sealed again in its
    place with the server's own key (a forgery only the key's holder could make: what the
    checks after the signature are for)."""
    plain, out = tmp_path / "forged.sqlite3", tmp_path / "forged.llsnap"
    manifest = container.unseal(path, plain, storage.keystore()).manifest
    db = sqlite3.connect(plain)
    forge(db, manifest)
    db.commit()
    db.close()
    container.write(plain, out, manifest, storage.keystore().current())
    plain.unlink()
    os.replace(out, path)
    return path


def phone_changed_and_rows_restated(db, manifest):
    """A row's phone changed and the incremental's own rows' checksum restated to match, its
    totals left as built: every row and the incremental itself check, the chain's totals do not."""
    row = list(db.execute("SELECT * FROM patient LIMIT 1").fetchone())
    row[5] = "13900000000" if row[5] != "13900000000" else "13900000001"
    row[-1] = tables.row_hash(tuple(row[:-1]))
    db.execute("INSERT OR REPLACE INTO patient VALUES (" + ", ".join("?" * len(row)) + ")", row)
    manifest["entities"]["patient"]["digest"] = applying.stored_digest(db, "patient").hexdigest()


@pytest.mark.parametrize("forgery", ["flipped byte", "out of order", "totals"])
def test_a_damaged_or_forged_incremental_leaves_the_base_data_held_as_it_was(holding, small_his, tmp_path, forgery):
    grow(small_his, 21, 22)
    paths, listing = holding.fetch()
    base = holding.dir / "base.sqlite3"
    before, held = base.read_bytes(), holding.held()
    if forgery == "flipped byte":
        data = bytearray(paths[-1].read_bytes())
        data[len(data) // 2] ^= 0x01
        paths[-1].write_bytes(bytes(data))
        reason = "the signature does not match"
    elif forgery == "out of order":
        paths[-2:], listing[-2:] = paths[:-3:-1], listing[:-3:-1]
        reason = f"{listing[-2]['id']} does not follow {listing[-3]['id']}"
    else:
        resealed(paths[-1], tmp_path, phone_changed_and_rows_restated)
        reason = "patient: the chain applied holds"
    listing = [{**p, "sha256": container.file_sha256(path)} for p, path in zip(listing, paths, strict=True)]

    said = []
    with pytest.raises(pull.PullFailed, match="the chain does not verify, the base data stays as it was") as failed:
        pull._apply(paths, listing, holding.dir, holding.keystore, said.append)
    assert reason in str(failed.value)
    assert base.read_bytes() == before and holding.held() == held
    assert not leftovers(holding.dir)
    if forgery == "totals":  # the base data held may have been at fault: the whole chain was tried too
        assert any("applying the whole chain" in line for line in said)


def test_a_chain_with_a_new_full_package_is_applied_whole(holding, small_his, tmp_path):
    demo_his.churn(small_his.url, percent=5, seed=31)
    full = builder.build(small_his.mapping_path)
    holding.pull()
    assert holding.said.count(f"applied 1 packages up to {full.package_id}") == 1
    assert holding.held()["packages"] == [full.package_id]
    assert station_rows(holding) == full_apply_rows([full.path], tmp_path)


@pytest.mark.parametrize("lost", ["holding.json missing", "holding.json unreadable", "no checksums recorded",
                                  "base data does not open"])
def test_what_the_station_holds_unknown_or_unreadable_means_a_full_apply(holding, small_his, tmp_path, lost):
    grow(small_his, 41)
    path = holding.dir / "holding.json"
    if lost == "holding.json missing":
        path.unlink()
    elif lost == "holding.json unreadable":
        path.write_text("{not json")
    elif lost == "no checksums recorded":  # written by a Lifeline before extending
        path.write_text(json.dumps({k: v for k, v in holding.held().items() if k != "sha256"}))
    else:
        (holding.dir / "base.sqlite3").write_bytes(os.urandom(8192))
    holding.pull()
    newest = builder.latest_chain()
    assert f"applied 3 packages up to {newest[-1].package_id}" in holding.said
    assert station_rows(holding) == full_apply_rows([p.path for p in newest], tmp_path)


def test_a_pull_killed_while_extending_leaves_the_old_base_data_usable(holding, small_his, tmp_path):
    old = station_rows(holding)
    grow(small_his, 51, 52)
    paths, listing = holding.fetch()
    (tmp_path / "listing.json").write_text(json.dumps({"paths": list(map(str, paths)), "chain": listing}))
    expected = full_apply_rows(paths, tmp_path)
    saved = {name: (holding.dir / name).read_bytes() for name in ("base.sqlite3", "holding.json")}
    rng = random.Random(os.environ.get("PYTEST_XDIST_WORKER", "") + "extend-kill")
    outcomes = set()
    for _attempt in range(6):
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.workstation.pull_extend_worker", str(holding.dir),
             str(holding.keystore.file), str(tmp_path / "listing.json")],
            cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert worker.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0, 2.0))  # the worker's pull takes about two seconds (it pauses between steps)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        worker.stdout.close()
        found = station_rows(holding)  # the base data opens with the station's key
        assert found in (old, expected)
        outcomes.add("old" if found == old else "new")
        for name, data in saved.items():  # the next attempt starts from the chain held before
            (holding.dir / name).write_bytes(data)

    holding.pull()
    assert any("new incremental packages" in line for line in holding.said)
    assert station_rows(holding) == expected
    assert not leftovers(holding.dir)
    assert "old" in outcomes  # killed before the new base data was in place at least once

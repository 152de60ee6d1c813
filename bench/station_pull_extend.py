"""A station pull when the chain grew by one incremental: extending the base data held against a
full apply of the whole chain, in the same run.

Set-up, Django-free: a chain of a full package (--patients, default 200,000, with drugs, stock
and a price list) and --incrementals (default 5) incrementals, each changing what a minute of a
busy HIS changes (--changes patients' phones, as many new patients, a tenth as many deleted;
stock of --changes/4 batches; --changes/10 drug and item prices), written and sealed as the
server writes packages (writing, container), in a temporary directory.

Figures, each the median of --repeat runs (default 3, interleaved), from the pull's own code
(`pull._apply`, from its start to the new base data and holding.json in place):
- full apply: a station holding nothing applies the whole chain (as every pull did before);
- full apply as before: the same with the totals check of before this change (every row of the
  result hashed again in Python), the baseline this change is measured against;
- extension: a station holding the chain less its last incremental applies that one, onto an
  encrypted copy of its base data (what `pull` does);
- extension, decrypted and re-sealed: the alternative weighed, the base data held decrypted into
  a private directory, extended in clear and sealed again.
Usage: station_pull_extend.py [--patients N] [--incrementals K] [--changes C] [--repeat R]
"""
import argparse
import json
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lifeline.package import applying, container, private, writing
from lifeline.package.keys import Key, KeyStore
from lifeline.package.tables import TABLES, Digest, PackageInvalid, row_hash, table_digest
from lifeline.workstation import basedata, pull, store

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡单欧"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁龙林欣怡佳琪晨雨轩"
DRUGS, BATCHES, ITEMS = 3000, 3, 4000


class Chain:
    """The HIS's state (every table's rows by key, with their hashes) and the packages written of it."""

    def __init__(self, home: Path, key: Key, rng: random.Random):
        self.home, self.key, self.rng = home, key, rng
        self.state = {name: {} for name in TABLES}
        self.paths, self.listing, self.next_patient = [], [], 0
        (home / "packages").mkdir()

    def put(self, name: str, row: tuple):
        table = TABLES[name]
        self.state[name][table.key_getter(row)] = (*row, row_hash(row))

    def patient(self) -> tuple:
        i, rng = self.next_patient, self.rng
        self.next_patient += 1
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(33_000))
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        return (f"{i:010d}", name, rng.choice("12"), born.isoformat(), f"110105{born:%Y%m%d}{i % 1000:03d}X",
                f"1{3 + i % 7}{i:09d}", None, None)

    def full(self, patients: int):
        rng = self.rng
        for _ in range(patients):
            self.put("patient", self.patient())
        self.put("department", ("PH1", "门诊西药房", "pharmacy", 0, "门诊楼1层"))
        for d in range(DRUGS):
            price = f"{rng.randrange(100, 20000) / 100:.2f}"
            self.put("drug", (f"Y{d:05d}", f"药品{d}", "0.25g*24粒", "胶囊", "盒", None, price, "甲"))
            for b in range(BATCHES):
                self.put("drug_stock", ("PH1", f"Y{d:05d}", f"B{b}", str(rng.randrange(0, 500)), "2028-06-30"))
        for i in range(ITEMS):
            price = f"{rng.randrange(100, 50000) / 100:.2f}"
            self.put("price_item", (f"F{i:05d}", f"项目{i}", "检查", "次", price, "乙"))
        self.put("insurance_type", ("999", "自费", 0))
        self.write({name: list(rows.values()) for name, rows in self.state.items()}, {})

    def incremental(self, changes: int):
        rng, rows, gone = self.rng, {name: [] for name in TABLES}, {name: [] for name in TABLES}
        patients = self.state["patient"]
        keys = rng.sample(list(patients), changes + changes // 10)
        for key in keys[:changes]:
            row = list(patients[key][:-1])
            row[5] = f"1{rng.randrange(30, 90)}{rng.randrange(10 ** 8):09d}"
            self.put("patient", tuple(row))
        for _ in range(changes):
            self.put("patient", self.patient())
        for key in keys[changes:]:
            del patients[key]
            gone["patient"].append(key)
        rows["patient"] = [patients[k] for k in keys[:changes]] + list(patients.values())[-changes:]
        for name, share, column, value in (
                ("drug_stock", 4, 3, lambda: str(rng.randrange(0, 500))),
                ("drug", 10, 6, lambda: f"{rng.randrange(100, 20000) / 100:.2f}"),
                ("price_item", 10, 4, lambda: f"{rng.randrange(100, 50000) / 100:.2f}")):
            for key in rng.sample(list(self.state[name]), max(1, changes // share)):
                row = list(self.state[name][key][:-1])
                row[column] = value()
                self.put(name, tuple(row))
                rows[name].append(self.state[name][key])
        self.write(rows, gone)

    def write(self, rows: dict, gone: dict):
        number = len(self.paths)
        package_id = f"{'incremental' if number else 'full'}-{number:03d}"
        plain = self.home / "plain.sqlite3"
        db = writing.new_database(plain)
        entities = {}
        for name, table in TABLES.items():
            writing.insert_rows(db, table, rows.get(name, []))
            keys = [k if isinstance(k, tuple) else (k,) for k in gone.get(name, [])]
            db.executemany(table.insert_deleted_sql(), keys)
            found, deleted, total = Digest(), Digest(), Digest()
            found.add_all([row[-1] for row in rows.get(name, [])])
            deleted.add_all([row_hash(k) for k in keys])
            total.add_all([row[-1] for row in self.state[name].values()])
            entities[name] = {"mode": "rows" if number else "whole", "rows": found.count, "digest": found.hexdigest(),
                              "deleted": deleted.count, "deleted_digest": deleted.hexdigest(),
                              "total_rows": total.count, "total_digest": total.hexdigest()}
        writing.shrink_if_small(db, plain)
        db.close()
        parent = {"package_id": self.listing[-1]["id"], "sha256": self.listing[-1]["sha256"]} if number else None
        manifest = {"format": container.FORMAT, "package_id": package_id, "kind": "incremental" if number else "full",
                    "parent": parent, "chain": "full-000", "built_at": datetime.now(UTC).isoformat(),
                    "key_id": self.key.id, "entities": entities}
        path = self.home / "packages" / f"{package_id}{container.SUFFIX}"
        sha256 = container.write(plain, path, manifest, self.key)
        plain.unlink()
        self.paths.append(path)
        self.listing.append({"id": package_id, "kind": manifest["kind"], "sha256": sha256,
                             "built_at": manifest["built_at"]})


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def old_check_totals(db, manifest: dict):
    """The totals check before this change: every row of the result hashed again."""
    for name, table in TABLES.items():
        stated, found = manifest["entities"][name], table_digest(db, table)
        if (found.count, found.hexdigest()) != (stated["total_rows"], stated["total_digest"]):
            raise PackageInvalid(f"{name}: totals differ")


def decrypted_extension(directory: Path, chain: Chain, keystore: KeyStore):
    """The alternative: the base data held decrypted into a private directory, extended in clear,
    sealed again, put in place."""
    key, base = store.data_key(keystore.file), directory / "base.sqlite3"
    with private.private_dir(directory) as work:
        plain, sealed = work / "plain.sqlite3", directory / ".base-resealed.sealed"
        db = store.connect(base, key, durable=False)
        db.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
        db.execute("SELECT sqlcipher_export('plain')")
        db.execute("DETACH DATABASE plain")
        db.close()
        db = sqlite3.connect(plain)
        applying.extend(db, chain.paths[-2], chain.paths[-1:], keystore, work, each=basedata._refresh_search)
        db.close()
        store.encrypt_copy(plain, sealed, key)
    sealed.replace(base)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--incrementals", type=int, default=5)
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lifeline-bench-pull-extend-"))
    try:
        keystore = KeyStore(file=home / "keys.json")
        keystore.add(Key.generate(datetime.now(UTC)))
        chain = Chain(home, keystore.current(), random.Random(17))
        started = time.perf_counter()
        chain.full(args.patients)
        for _ in range(args.incrementals):
            chain.incremental(args.changes)
        sizes = ", ".join(f"{p.stat().st_size / 1e6:.1f}" for p in chain.paths)
        print(f"chain of 1 full + {args.incrementals} incrementals, {args.patients:,} patients, "
              f"{args.changes:,} patients changed per incremental, written in {time.perf_counter() - started:.1f} s "
              f"(MB: {sizes})")
        quiet = lambda text: None  # noqa: E731
        station = lambda name: pull._private(home / name)  # noqa: E731

        new_check = applying._check_totals
        full, before, extension, resealed = [], [], [], []
        pull._apply(chain.paths[:-1], chain.listing[:-1], station("held"), keystore, quiet)
        for i in range(args.repeat):  # interleaved, so that a busy moment of the machine weighs on each alike
            full.append(timed(pull._apply, chain.paths, chain.listing, station(f"full-{i}"), keystore, quiet))
            applying._check_totals = old_check_totals
            before.append(timed(pull._apply, chain.paths, chain.listing, station(f"before-{i}"), keystore, quiet))
            applying._check_totals = new_check
            said = []
            shutil.copytree(home / "held", home / f"held-{i}")
            extension.append(timed(pull._apply, chain.paths, chain.listing, home / f"held-{i}", keystore, said.append))
            assert said == [f"applied 1 new incremental packages up to {chain.listing[-1]['id']}"], said
            shutil.copytree(home / "held", home / f"resealed-{i}")
            resealed.append(timed(decrypted_extension, home / f"resealed-{i}", chain, keystore))
        full, before, extension, resealed = map(statistics.median, (full, before, extension, resealed))

        key = store.data_key(keystore.file)
        rows = {}
        names = ("full-0", "before-0", "held-0", "resealed-0")
        for name in names:
            db = store.connect(home / name / "base.sqlite3", key, durable=False)
            rows[name] = {t: db.execute(f'SELECT count(*), sum("_h" >> 32), sum("_h" & 4294967295) FROM "{t}"')
                          .fetchone() for t in [*TABLES, "patient_initials"]}
            db.close()
        assert all(rows[name] == rows["full-0"] for name in names), "the four base data differ"
        print(f"median of {args.repeat} runs each:")

        print(f"full apply as before (totals rehashed in Python): {before:7.2f} s")
        print(f"full apply (totals from stored hashes, in SQL):   {full:7.2f} s   {before / full:5.2f}x faster")
        print(f"extension, decrypted and re-sealed:               {resealed:7.2f} s   {before / resealed:5.1f}x faster")
        print(f"extension by the last incremental (pull):         {extension:7.2f} s   "
              f"{before / extension:5.1f}x faster than before, {full / extension:5.1f}x than the full apply")
        print(json.dumps({"patients": args.patients, "full_before_s": round(before, 3), "full_s": round(full, 3),
                          "extension_resealed_s": round(resealed, 3), "extension_s": round(extension, 3)}))
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()

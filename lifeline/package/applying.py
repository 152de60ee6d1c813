"""Applying a chain: a full package, then its incrementals in order, into one database.

`apply` writes a whole chain into a new file; `extend` applies only the incrementals that
follow the package a database already holds (a station's base data, when the server's chain
grew). Both apply each incremental the same way (`_follow`, `_apply_one`) and end with the same
check (`_check_totals`): every table's row count and checksum are those the newest manifest
states."""
import sqlite3
from collections.abc import Callable
from pathlib import Path

from lifeline.package.container import Package, decrypted, file_sha256, open_package, unseal, verified
from lifeline.package.keys import KeyStore
from lifeline.package.tables import HASH, TABLES, Digest, PackageInvalid

INC = "inc"  # the schema an incremental's database is attached as while it is applied


class TotalsDiffer(PackageInvalid):
    """Every package verified, but the tables applied do not have the totals the newest manifest
    states: the database the incrementals were applied onto did not hold what it was said to."""


def apply(paths: list, dest: Path, keystore: KeyStore) -> dict:
    """Write the database of a chain (a full package, then its incrementals in order) to the new
    file `dest`. Every package is verified, each incremental must follow the one before it, and
    the result must have the counts and checksums the last manifest states; returns that
    manifest. `dest` holds plaintext: put it where only the station's user can read it; the
    incrementals are decrypted beside it, in private directories removed when done."""
    if open_package(paths[0]).kind != "full":
        raise PackageInvalid(f"a chain starts with a full package; {paths[0]} is not one")
    package = unseal(paths[0], Path(dest), keystore)
    db = sqlite3.connect(dest)
    try:
        verified(package, db)
        package = _follow(db, package, paths[1:], keystore, Path(dest).parent)
    except BaseException:
        db.close()
        Path(dest).unlink(missing_ok=True)  # plaintext of a chain that did not apply
        raise
    db.close()
    return package.manifest


def extend(db, previous_path, paths: list, keystore: KeyStore, work: Path,
           each: Callable | None = None) -> dict:
    """Apply the incrementals `paths`, in order, onto `db`, which holds the chain ending with the
    package file `previous_path` applied. As `apply`: every incremental is verified and must
    follow the one before it (the first: `previous_path`, by its id and the file's SHA-256), and
    then every table must have the counts and checksums the last manifest states (TotalsDiffer if
    not); returns that manifest. Each incremental is applied in one transaction, but a failure
    may leave earlier ones applied: work on a copy, put in place only when this returned. The
    incrementals are decrypted in private directories under `work`, removed when done.
    `each(db, package)` runs in each incremental's transaction while its database is attached as
    `inc` (to keep what the caller derives from the tables up to date)."""
    if not paths:
        raise PackageInvalid("no incremental to apply")
    package = _follow(db, open_package(previous_path), paths, keystore, Path(work), each)
    return package.manifest


def _follow(db, package: Package, paths: list, keystore: KeyStore, work: Path,
            each: Callable | None = None) -> Package:
    """Apply the incrementals `paths` onto `db`, which holds `package`; check the totals; the
    last package applied."""
    for path in paths:
        previous, package = package, open_package(path)
        if package.kind != "incremental":
            raise PackageInvalid(f"{package.id} is a {package.kind} package, not an incremental")
        parent = package.manifest.get("parent") or {}
        if parent.get("package_id") != previous.id or parent.get("sha256") != file_sha256(previous.path):
            raise PackageInvalid(f"{package.id} does not follow {previous.id} "
                                 f"(its parent is {parent.get('package_id')})")
        with decrypted(path, keystore, work) as (package, plain):
            _apply_one(db, package, plain, each)
    _check_totals(db, package.manifest)
    return package


def _apply_one(db, package: Package, plain: Path, each: Callable | None = None):
    """Apply one incremental: replace whole entities, or delete its deleted keys and upsert its
    rows; in one transaction. `db`: sqlite3, or an encrypted sqlcipher3 connection (the
    incremental is attached with an empty key: it is a plain database in a private directory)."""
    inc = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
    try:
        verified(package, inc)
    finally:
        inc.close()
    db.execute(f"ATTACH DATABASE ? AS {INC} KEY ''", (str(plain),))
    try:
        db.execute("BEGIN")
        with db:
            for name, table in TABLES.items():
                keys = ", ".join(f'"{k}"' for k in table.entity.key)
                if package.manifest["entities"][name]["mode"] == "whole":
                    db.execute(f'DELETE FROM main."{name}"')
                else:
                    db.execute(f'DELETE FROM main."{name}" '
                               f'WHERE ({keys}) IN (SELECT {keys} FROM {INC}."{table.deleted}")')
                db.execute(f'INSERT OR REPLACE INTO main."{name}" {table.select_sql(INC, with_hash=True)}')
            if each is not None:
                each(db, package)
    finally:
        db.execute(f"DETACH DATABASE {INC}")


def _check_totals(db, manifest: dict):
    """Every table's row count and checksum are the manifest's totals. The checksum is summed
    from the hashes stored with the rows, in SQL: each row came from a package whose rows were
    checked against their hashes when it was verified (container.check_contents), so a row
    missing, left over or from the wrong version shows here without hashing every row again."""
    for name in TABLES:
        stated = manifest["entities"][name]
        found = stored_digest(db, name)
        if (found.count, found.hexdigest()) != (stated["total_rows"], stated["total_digest"]):
            raise TotalsDiffer(f"{name}: the chain applied holds {found.count:,} rows with checksum "
                               f"{found.hexdigest()}, but {manifest['package_id']} says {stated['total_rows']:,} "
                               f"with {stated['total_digest']}")


def stored_digest(db, name: str) -> Digest:
    """The checksum of a table from its rows' stored hashes: the sum modulo 2**64, taken as the
    sums of the high and the low 32 bits (neither overflows SQLite's 64-bit integers)."""
    count, high, low = db.execute(f'SELECT count(*), coalesce(sum("{HASH}" >> 32), 0), '
                                  f'coalesce(sum("{HASH}" & 4294967295), 0) FROM main."{name}"').fetchone()
    digest = Digest(count=count)
    digest.total = (high << 32) + low
    return digest

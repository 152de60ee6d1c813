"""Applying a chain: a full package, then its incrementals in order, into one database."""
import sqlite3
from pathlib import Path

from lifeline.package.container import Package, decrypted, file_sha256, open_package, unseal, verified
from lifeline.package.keys import KeyStore
from lifeline.package.tables import TABLES, PackageInvalid, table_digest


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
        for path in paths[1:]:
            previous, package = package, open_package(path)
            parent = package.manifest.get("parent") or {}
            if parent.get("package_id") != previous.id or parent.get("sha256") != file_sha256(previous.path):
                raise PackageInvalid(f"{package.id} does not follow {previous.id} "
                                     f"(its parent is {parent.get('package_id')})")
            with decrypted(path, keystore, Path(dest).parent) as (package, plain):
                _apply_one(db, package, plain)
        _check_totals(db, package.manifest)
    except BaseException:
        db.close()
        Path(dest).unlink(missing_ok=True)  # plaintext of a chain that did not apply
        raise
    db.close()
    return package.manifest


def _apply_one(db: sqlite3.Connection, package: Package, plain: Path):
    """Apply one incremental: replace whole entities, or delete its deleted keys and upsert its rows."""
    inc = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
    try:
        verified(package, inc)
    finally:
        inc.close()
    db.execute("ATTACH DATABASE ? AS inc", (str(plain),))
    try:
        with db:
            for name, table in TABLES.items():
                keys = ", ".join(f'"{k}"' for k in table.entity.key)
                if package.manifest["entities"][name]["mode"] == "whole":
                    db.execute(f'DELETE FROM main."{name}"')
                else:
                    db.execute(f'DELETE FROM main."{name}" '
                               f'WHERE ({keys}) IN (SELECT {keys} FROM inc."{table.deleted}")')
                db.execute(f'INSERT OR REPLACE INTO main."{name}" {table.select_sql("inc", with_hash=True)}')
    finally:
        db.execute("DETACH DATABASE inc")


def _check_totals(db: sqlite3.Connection, manifest: dict):
    for name, table in TABLES.items():
        stated = manifest["entities"][name]
        found = table_digest(db, table)
        if (found.count, found.hexdigest()) != (stated["total_rows"], stated["total_digest"]):
            raise PackageInvalid(f"{name}: the chain applied holds {found.count:,} rows with checksum "
                                 f"{found.hexdigest()}, but {manifest['package_id']} says {stated['total_rows']:,} "
                                 f"with {stated['total_digest']}")

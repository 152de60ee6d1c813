"""The base data on the station: a package chain applied (plaintext, in a private directory),
made searchable (`search.prepare`), then sealed with the station's key as DIR/base.sqlite3.

When the server's chain is the one held grown by incrementals, `extend` applies only those onto
an encrypted copy of the base data held: no patient data is written in clear but the
incrementals' own databases, each in a private directory while it is applied."""
import os
import shutil
import sqlite3
from pathlib import Path

from lifeline.package import applying
from lifeline.package.keys import KeyStore
from lifeline.workstation import search, store


def seal(plain, dest, key: bytes):
    """Index the plaintext database `plain` for searching, then write it encrypted as `dest`.
    The caller removes `plain`."""
    db = sqlite3.connect(plain)
    try:
        search.prepare(db)
    finally:
        db.close()
    store.encrypt_copy(plain, dest, key)


def extend(held, dest, previous, paths: list, keystore: KeyStore, key: bytes, work: Path) -> dict:
    """Write as the new file `dest` the sealed base data `held` (the chain ending with the
    package file `previous` applied) with the incrementals `paths` applied, verified as
    `applying.extend` does, its search tables kept right (`search.refresh`); returns the newest
    manifest. `held` is only read. store.WrongKey or store.Error if `held` does not open; the
    caller removes `dest` on any failure."""
    shutil.copyfile(held, dest)
    os.chmod(dest, 0o600)
    db = store.connect(dest, key, durable=False)
    try:
        db.execute("PRAGMA synchronous = OFF")  # a copy: synced once, below, before it is put in place
        manifest = applying.extend(db, previous, paths, keystore, work, each=_refresh_search)
    finally:
        db.close()
    with open(dest, "rb+") as copy:
        os.fsync(copy.fileno())
    return manifest


def _refresh_search(db, package):
    search.refresh(db, applying.INC, whole=package.manifest["entities"]["patient"]["mode"] == "whole")

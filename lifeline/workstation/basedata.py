"""The base data on the station: a package chain applied (plaintext, in a private directory),
made searchable (`search.prepare`), then sealed with the station's key as DIR/base.sqlite3."""
import sqlite3

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

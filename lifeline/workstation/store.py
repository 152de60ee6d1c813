"""The workstation's databases on disk, encrypted at rest with SQLCipher through `sqlcipher3`.

Why this binding: its wheel bundles its own SQLCipher build (4.19, on SQLite 3.53), so it needs
no system library, and it keeps the sqlite3 module's interface, so the journal and the package
format's SQL run unchanged. Also evaluated: `sqlcipher3-binary` (installs, but an older
SQLCipher 4.12 and less recently released) and `apsw-sqlite3mc` (installs, SQLite 3.54 with
SQLite3 Multiple Ciphers, but APSW's own interface: every query would be written twice).

The key is never typed in: it is derived from the station's key file (HKDF-SHA256), so the
journal and the base data open only on a PC holding that file, and a stolen disk or a copied
database file shows no patient data. The raw 256-bit key is given to SQLCipher directly
(`x'…'`), which skips its passphrase stretching: opening a database stays fast.

Every connection is in autocommit mode (`isolation_level=None`): transactions are explicit
(`BEGIN IMMEDIATE` … `COMMIT`), never opened behind the caller's back.
"""
from pathlib import Path

import sqlcipher3
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

Error = sqlcipher3.Error
Connection = sqlcipher3.Connection
BUSY_TIMEOUT = 30  # seconds another connection may hold the write lock (a LAN workstation's pages)
_CONTEXT = b"lifeline workstation data at rest v1"


class WrongKey(Exception):
    """The database does not open with this key (another station's, or not a database)."""


def data_key(key_file) -> bytes:
    """The 256-bit key of the station's databases, derived from its key file's contents."""
    material = Path(key_file).read_bytes()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CONTEXT).derive(material)


def key_literal(key: bytes) -> str:
    """The key as SQLCipher's raw-key literal, for PRAGMA key and ATTACH … KEY."""
    return f"\"x'{key.hex()}'\""


def connect(path, key: bytes, durable: bool = True) -> Connection:
    """An encrypted database (created if absent). `durable`: WAL and synchronous=FULL, so a
    COMMIT that returned survives a power cut; otherwise the settings are left as they are
    (a read-only copy of the base data)."""
    db = sqlcipher3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT, check_same_thread=False)
    db.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is our error to word, not a log line
    db.execute(f"PRAGMA key = {key_literal(key)}")
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError:
        db.close()
        raise WrongKey(f"{path} does not open with this station's key (another station's file, or damaged)") \
            from None
    if durable:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
    return db


def encrypt_copy(plain, dest, key: bytes):
    """Write the plaintext SQLite database `plain` (a package chain just applied) as the new
    encrypted database `dest`, in one pass (sqlcipher_export). The caller removes `plain`."""
    db = sqlcipher3.connect(str(plain), isolation_level=None)
    try:
        db.execute(f"ATTACH DATABASE ? AS sealed KEY {key_literal(key)}", (str(dest),))
        db.execute("SELECT sqlcipher_export('sealed')")
        db.execute("DETACH DATABASE sealed")
    finally:
        db.close()


def is_storage_fault(exc: Exception) -> bool:
    """Whether a database error is the disk's (full, I/O, read-only, cannot open) rather than ours."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_CORRUPT"))

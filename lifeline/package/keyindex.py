"""The key index: every row key and row hash of the newest package's state.

It is what a station holds after applying the latest chain, reduced to keys and hashes, so
the next incremental can tell new rows from changed ones (and leave out rows that did not
change), subtract the hashes of replaced and deleted rows from the checksum, and find
deleted rows by comparing the HIS's current keys with these.

It holds the rows' keys (card numbers among them), so it is kept like a package: encrypted
and signed, beside the packages (`index/<package id>.llsnap`), and opened only into the
build's private directory. During a build it is attached to the package's database
connection as `idx`, so it is filled from the package's tables by SQL.
"""
import json
import sqlite3
from pathlib import Path

from lifeline.package.tables import HASH, PAGE_SIZE, TABLES

BATCH = 900  # keys per IN (...) lookup, below every SQLite's limit of bound parameters


class KeyIndex:
    def __init__(self, db: sqlite3.Connection, path: Path):
        """The index in `path`, attached to `db` (outside a transaction)."""
        self.db = db
        db.execute("ATTACH DATABASE ? AS idx", (str(path),))
        for pragma in (f"page_size={PAGE_SIZE}", "journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE"):
            db.execute(f"PRAGMA idx.{pragma}")
        for name in TABLES:
            db.execute(f'CREATE TABLE IF NOT EXISTS idx."{name}" (k TEXT PRIMARY KEY, h INTEGER NOT NULL, kv TEXT) '
                       f'WITHOUT ROWID')

    @staticmethod
    def key_values(k: str, kv: str | None) -> tuple:
        """The key's field values (kv: their JSON when the key has more than one field)."""
        return tuple(json.loads(kv)) if kv else (k,)

    def take(self, table, whole: bool):
        """Index the rows of the package's table: all of the entity (`whole`), or changed ones."""
        keys = [f'"{k}"' for k in table.entity.key]
        k = " || '/' || ".join(keys)
        kv = f"json_array({', '.join(keys)})" if len(keys) > 1 else "NULL"
        if whole:
            self.db.execute(f'DELETE FROM idx."{table.name}"')
        self.db.execute(f'INSERT OR REPLACE INTO idx."{table.name}" '
                        f'SELECT {k}, "{HASH}", {kv} FROM main."{table.name}"')

    def hashes(self, name: str, keys: list[str]) -> dict[str, int]:
        found = {}
        for start in range(0, len(keys), BATCH):
            part = keys[start:start + BATCH]
            found.update(self.db.execute(f'SELECT k, h FROM idx."{name}" WHERE k IN ({",".join("?" * len(part))})',
                                         part))
        return found

    def remove(self, name: str, keys: list[str]) -> list[tuple]:
        """Remove these keys; (key, hash, kv) of those that were there."""
        removed = []
        for start in range(0, len(keys), BATCH):
            part = keys[start:start + BATCH]
            marks = ",".join("?" * len(part))
            removed += self.db.execute(f'SELECT k, h, kv FROM idx."{name}" WHERE k IN ({marks})', part).fetchall()
            self.db.execute(f'DELETE FROM idx."{name}" WHERE k IN ({marks})', part)
        return removed

    def count(self, name: str) -> int:
        return self.db.execute(f'SELECT count(*) FROM idx."{name}"').fetchone()[0]

    # The HIS's current keys of one entity, to find the deleted rows.

    def start_seen(self):
        self.db.execute("DROP TABLE IF EXISTS temp.seen")
        self.db.execute("CREATE TEMP TABLE seen (k TEXT)")  # indexed once filled: faster than a key

    def see(self, keys: list[str]):
        self.db.executemany("INSERT INTO temp.seen VALUES (?)", zip(keys))

    def unseen(self, name: str):
        """(key, hash, kv) of every indexed row whose key the HIS no longer has, in batches; they
        are removed from the index afterwards."""
        self.db.execute("CREATE INDEX temp.seen_k ON seen (k)")
        self.db.execute("DROP TABLE IF EXISTS temp.gone")
        self.db.execute(f'CREATE TEMP TABLE gone AS SELECT k, h, kv FROM idx."{name}" '
                        f'WHERE k NOT IN (SELECT k FROM temp.seen)')
        cursor = self.db.execute("SELECT k, h, kv FROM temp.gone")
        while batch := cursor.fetchmany(5000):
            yield batch
        self.db.execute(f'DELETE FROM idx."{name}" WHERE k IN (SELECT k FROM temp.gone)')

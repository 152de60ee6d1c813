"""The key index: every row key and row hash of the newest package's state.

It is what a station holds after applying the latest chain, reduced to keys and hashes, so
the next incremental can tell new rows from changed ones (and leave out rows that did not
change), subtract the hashes of replaced and deleted rows from the checksum, and find
deleted rows by comparing the HIS's current keys with these.

It holds the rows' keys (card numbers among them), so it is kept like a package: encrypted
and signed, beside the packages (`index/<package id>.llsnap`), and opened only into the
build's private directory.
"""
import json
import sqlite3
from pathlib import Path

from lifeline.continuity.packages import TABLES

BATCH = 900  # keys per IN (...) lookup, below every SQLite's limit of bound parameters


class KeyIndex:
    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE", "cache_size=-65536",
                       "temp_store=MEMORY"):
            self.db.execute(f"PRAGMA {pragma}")
        for name in TABLES:
            self.db.execute(f'CREATE TABLE IF NOT EXISTS "{name}" (k TEXT PRIMARY KEY, h INTEGER NOT NULL, kv TEXT) '
                            f'WITHOUT ROWID')
        self.db.execute("BEGIN")

    def close(self):
        self.db.execute("COMMIT")
        self.db.close()

    @staticmethod
    def entry(table, values: tuple, hashed: int) -> tuple:
        """(key, hash, key values as JSON when the key has more than one field)."""
        kv = json.dumps(table.key_getter(values), ensure_ascii=False) if len(table.key_positions) > 1 else None
        return table.key(values), hashed, kv

    @staticmethod
    def key_values(k: str, kv: str | None) -> tuple:
        return tuple(json.loads(kv)) if kv else (k,)

    def put(self, name: str, entries: list[tuple]):
        self.db.executemany(f'INSERT OR REPLACE INTO "{name}" VALUES (?, ?, ?)', entries)

    def hashes(self, name: str, keys: list[str]) -> dict[str, int]:
        found = {}
        for start in range(0, len(keys), BATCH):
            part = keys[start:start + BATCH]
            found.update(self.db.execute(f'SELECT k, h FROM "{name}" WHERE k IN ({",".join("?" * len(part))})', part))
        return found

    def remove(self, name: str, keys: list[str]) -> list[tuple]:
        """Remove these keys; (key, hash, kv) of those that were there."""
        removed = []
        for start in range(0, len(keys), BATCH):
            part = keys[start:start + BATCH]
            marks = ",".join("?" * len(part))
            removed += self.db.execute(f'SELECT k, h, kv FROM "{name}" WHERE k IN ({marks})', part).fetchall()
            self.db.execute(f'DELETE FROM "{name}" WHERE k IN ({marks})', part)
        return removed

    def clear(self, name: str):
        self.db.execute(f'DELETE FROM "{name}"')

    def count(self, name: str) -> int:
        return self.db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]

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
        self.db.execute(f'CREATE TEMP TABLE gone AS SELECT k, h, kv FROM "{name}" '
                        f'WHERE k NOT IN (SELECT k FROM temp.seen)')
        cursor = self.db.execute("SELECT k, h, kv FROM temp.gone")
        while batch := cursor.fetchmany(5000):
            yield batch
        self.db.execute(f'DELETE FROM "{name}" WHERE k IN (SELECT k FROM temp.gone)')

"""Rows, tables and checksums of a snapshot package's database.

The database inside a package has one table per canonical entity (named after it, keyed by
the entity key; its columns are the entity's fields and last `_h`, the row's hash); an
incremental package also has a table `<entity>__deleted` with the keys of the rows deleted
since its parent.

Checksums: a row is the tuple of its stored values (text, integers, None; decimals, dates
and booleans in their stored form) and its hash is BLAKE2b-64 of those values as text joined
by U+001F (`row_hash`), a signed 64-bit integer (SQLite keeps it as it is). An entity's
checksum is the sum of its rows' hashes modulo 2**64: independent of order, so a full
package plus its incrementals applied has the same checksum as a fresh full build of the
same data, and an incremental's builder can compute it from the parent's by subtracting
the hashes of replaced and deleted rows and adding the new ones.
"""
import hashlib
import operator
import sqlite3
import struct
from collections import deque
from datetime import date, datetime
from itertools import repeat

from lifeline.his.canonical import ENTITIES, Entity

HASH = "_h"  # last column of every entity table: the row's hash (row_hash of its values)
PAGE_SIZE = 1 << 16  # SQLite pages of the databases inside: fewer, faster page splits while loading
_blake2b = hashlib.blake2b
_MODULUS = 1 << 64

_SQL_TYPE = {"integer": "INTEGER", "boolean": "INTEGER"}  # everything else is TEXT
_STORE = {"decimal": lambda d: format(d, "f"), "date": date.isoformat, "datetime": datetime.isoformat,
          "boolean": int}


class PackageInvalid(Exception):
    """The package cannot be trusted or read; the message says why."""



def row_hash(values: tuple) -> int:
    """BLAKE2b-64 of the row's stored values as text joined by U+001F, None as empty text (a
    canonical text value is never empty), as a signed 64-bit integer. Spelled out rather than
    repr(): repr escapes characters its Unicode tables do not know, and those change between
    Python versions (rare CJK characters in names among them)."""
    text = "\x1f".join(["" if v is None else v if type(v) is str else str(v) for v in values])
    return int.from_bytes(_blake2b(text.encode(), digest_size=8).digest(), signed=True)


def row_hashes(columns: list[list]) -> list[int]:
    """row_hash of every row of a batch given as its columns of stored values, the same numbers
    computed a column at a time: each value's text made per column, each row's text joined and
    hashed by built-ins (no Python code runs per row)."""
    return hashes_of(row_texts(value_texts(columns)))[0]


def value_texts(columns: list[list]) -> list[list[str]]:
    """Each column of stored values as the texts row_hash joins ('' for None)."""
    texts = []
    for column in columns:
        kinds = set(map(type, column))
        if kinds == _STR:
            texts.append(column)
        elif kinds <= _STR_OR_NONE:
            texts.append([v or "" for v in column])
        elif kinds == _INT:
            texts.append(list(map(str, column)))
        else:
            texts.append(["" if v is None else v if type(v) is str else str(v) for v in column])
    return texts


def row_texts(texts: list[list[str]]) -> list[bytes]:
    """What row_hash hashes, for each row of a batch given as value_texts: the values joined by
    U+001F, UTF-8."""
    return list(map(str.encode, map(_UNIT_SEPARATOR_JOIN, zip(*texts))))


def hashes_of(data: list[bytes]) -> tuple[list[int], bytes]:
    """(the hashes of these row texts, the same as 8-byte big-endian numbers one after another)."""
    hashers = list(map(_blake2b.copy, repeat(_BLAKE2B_64, len(data))))  # copying is cheaper than a new one
    deque(map(_blake2b.update, hashers, data), 0)
    digests = b"".join(map(_blake2b.digest, hashers))
    return list(struct.unpack(f">{len(data)}q", digests)), digests


_STR, _STR_OR_NONE, _INT = {str}, {str, type(None)}, {int}
_UNIT_SEPARATOR_JOIN = "\x1f".join
_BLAKE2B_64 = _blake2b(digest_size=8)


class Digest:
    """Order-independent checksum of a set of rows (see the module's docstring)."""

    def __init__(self, hexdigest: str | None = None, count: int = 0):
        self.total = int(hexdigest, 16) if hexdigest else 0
        self.count = count

    def add(self, hashed: int):
        self.total += hashed
        self.count += 1

    def add_all(self, hashes: list[int]):
        self.total += sum(hashes)
        self.count += len(hashes)

    def remove(self, hashed: int):
        self.total -= hashed
        self.count -= 1

    def hexdigest(self) -> str:
        return f"{self.total % _MODULUS:016x}"


class Table:
    """How one canonical entity is stored in a package."""

    def __init__(self, entity: Entity):
        self.entity = entity
        self.name = entity.name
        self.columns = entity.columns
        self._convert = [(i, _STORE[f.type]) for i, f in enumerate(entity.fields) if f.type in _STORE]
        self.key_positions = [self.columns.index(k) for k in entity.key]
        self.integer_positions = [i for i, f in enumerate(entity.fields) if _SQL_TYPE.get(f.type) == "INTEGER"]
        self.key_getter = operator.itemgetter(*self.key_positions)
        self.deleted = f"{self.name}__deleted"
        if len(self.key_positions) == 1:
            self.key = operator.itemgetter(self.key_positions[0])

    def stored(self, rows: list[tuple]) -> list[tuple]:
        """Canonical rows (tuples in field order, as the adapter's batches) as stored and hashed."""
        if not self._convert:
            return rows
        return [self._store(row) for row in rows]

    def stored_columns(self, columns: list[list]) -> list[list]:
        """As `stored`, for a batch given as its columns (adapter.EntityRead.column_batches)."""
        if not self._convert:
            return columns
        columns = list(columns)
        for i, convert in self._convert:
            column = columns[i]
            if type(None) in set(map(type, column)):
                columns[i] = [None if v is None else convert(v) for v in column]
            else:
                columns[i] = list(map(convert, column))
        return columns

    def _store(self, row: tuple) -> tuple:
        values = list(row)
        for i, convert in self._convert:
            if values[i] is not None:
                values[i] = convert(values[i])
        return tuple(values)

    def key(self, values: tuple) -> str:
        """The row's key as canonical.Entity.key_of writes it (every key field is text)."""
        return "/".join(values[i] for i in self.key_positions)

    def create(self, db: sqlite3.Connection):
        columns = ", ".join(f'"{f.name}" {_SQL_TYPE.get(f.type, "TEXT")}{" NOT NULL" if f.required else ""}'
                            for f in self.entity.fields)
        key = ", ".join(f'"{k}"' for k in self.entity.key)
        db.execute(f'CREATE TABLE "{self.name}" ({columns}, "{HASH}" INTEGER NOT NULL, PRIMARY KEY ({key})) '
                   f'WITHOUT ROWID')

    def create_deleted(self, db: sqlite3.Connection):
        columns = ", ".join(f'"{k}" TEXT NOT NULL' for k in self.entity.key)
        key = ", ".join(f'"{k}"' for k in self.entity.key)
        db.execute(f'CREATE TABLE "{self.deleted}" ({columns}, PRIMARY KEY ({key})) WITHOUT ROWID')

    def insert_sql(self, rows: int = 1) -> str:
        """Insert `rows` rows: each its values, then its hash."""
        row = f'({", ".join("?" * (len(self.columns) + 1))})'
        return f'INSERT INTO "{self.name}" VALUES {", ".join([row] * rows)}'

    def insert_deleted_sql(self) -> str:
        return f'INSERT INTO "{self.deleted}" VALUES ({", ".join("?" * len(self.entity.key))})'

    def select_sql(self, schema: str = "main", with_hash: bool = False) -> str:
        """The rows' values (and their hash last)."""
        names = [f'"{c}"' for c in self.columns] + ([f'"{HASH}"'] if with_hash else [])
        return f'SELECT {", ".join(names)} FROM {schema}."{self.name}"'


TABLES = {name: Table(entity) for name, entity in ENTITIES.items()}


def table_digest(db: sqlite3.Connection, table: Table) -> Digest:
    """The checksum of an entity's rows, each row's hash checked against the one stored with it."""
    digest = Digest()
    cursor = db.execute(table.select_sql(with_hash=True))
    while batch := cursor.fetchmany(5000):
        for row in batch:
            hashed = row_hash(row[:-1])
            if hashed != row[-1]:
                raise PackageInvalid(f"{table.name} {table.key(row)}: the row's values do not give the hash "
                                     f"stored with it")
            digest.add(hashed)
    return digest


def keys_digest(db: sqlite3.Connection, table: Table) -> Digest:
    digest = Digest()
    cursor = db.execute(f'SELECT * FROM "{table.deleted}"')
    while batch := cursor.fetchmany(5000):
        digest.add_all(list(map(row_hash, batch)))
    return digest

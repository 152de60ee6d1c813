"""Snapshot packages: the file format, reading, verifying and applying a chain.

A package is one file. Inside, encrypted, is a SQLite database with one table per canonical
entity (named after it, keyed by the entity key; its columns are the entity's fields and
last `_h`, the row's hash); an incremental package also has a table `<entity>__deleted`
with the keys of the rows deleted since its parent. The manifest (JSON)
says what the package holds and is readable without the key: it carries no patient data,
only ids, counts, checksums, watermarks and hashes.

Layout (integers big-endian):

    magic       b"LLSNAP\\0\\1"
    header      u32 length + JSON {"format", "frame_size", "key_check", "manifest"}
    frames      u8 final flag + u32 length + 12-byte nonce + AES-256-GCM ciphertext and tag,
                one frame per `frame_size` bytes of the database; the associated data binds the
                package id, the frame's index and the final flag, so frames cannot be
                reordered, moved between packages or cut off (a file without its final frame
                is truncated)
    signature   64 bytes, Ed25519 over the SHA-256 of everything before it (so the file's own
                SHA-256 is the same running hash, one pass)

Reading streams frame by frame in bounded memory and first checks the signature over the
whole file. The database is decrypted only into a private directory (mode 0700) under the
snapshot directory's `.work`, removed when done; directories left by a killed process are
removed by the next build (`sweep_private_dirs`).

Checksums: a row is the tuple of its stored values (text, integers, None; decimals, dates
and booleans in their stored form) and its hash is BLAKE2b-64 of those values as text joined
by U+001F (`row_hash`), a signed 64-bit integer (SQLite keeps it as it is). An entity's checksum is the sum of its rows'
hashes modulo 2**64: independent of order, so a full
package plus its incrementals applied has the same checksum as a fresh full build of the
same data, and an incremental's builder can compute it from the parent's by subtracting
the hashes of replaced and deleted rows and adding the new ones.
"""
import fcntl
import functools
import hashlib
import json
import operator
import os
import pickle
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain, repeat
from operator import methodcaller
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from lifeline.continuity.canonical import ENTITIES, Entity
from lifeline.continuity.keystore import Key, KeyStore

FORMAT = 1
MAGIC = b"LLSNAP\0\1"
FRAME_SIZE = 1 << 20
HASH = "_h"  # last column of every entity table: the row's hash (row_hash of its values)
PAGE_SIZE = 1 << 16  # SQLite pages of the databases inside: fewer, faster page splits while loading
SIGNATURE_SIZE = 64
_MAX_HEADER = 4 << 20
_blake2b = hashlib.blake2b
_MODULUS = 1 << 64

_SQL_TYPE = {"integer": "INTEGER", "boolean": "INTEGER"}  # everything else is TEXT
_STORE = {"decimal": lambda d: format(d, "f"), "date": date.isoformat, "datetime": datetime.isoformat,
          "boolean": int}


class PackageInvalid(Exception):
    """The package cannot be trusted or read; the message says why."""


# -- rows, tables and checksums -------------------------------------------------------------

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


# -- private plaintext ------------------------------------------------------------------------

def work_root() -> Path:
    root = Path(settings.SNAPSHOT_DIR) / ".work"
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    return root


@contextmanager
def private_dir():
    """A directory only this user can enter, for plaintext databases; removed when done."""
    path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=work_root()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_private_dirs() -> list[Path]:
    """Remove private directories whose process is gone (killed before its `finally` ran)."""
    removed = []
    for path in work_root().iterdir():
        pid = path.name.split("-", 1)[0]
        if pid.isdigit() and (int(pid) == os.getpid() or _alive(int(pid))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- the database inside a package, while a build writes it -----------------------------------

ROWS_PER_INSERT = 500
SMALL_PACKAGE = 16 << 20
PIPE_SIZE = 1 << 20


class RowsRejected(Exception):
    """SQLite refused a row (a key the HIS yields twice); the message names entity and key."""


def new_database(path: Path) -> sqlite3.Connection:
    """A package's database while it is built: nothing to recover after a crash (it is thrown
    away), so no syncing and no journal on disk. The journal in memory is what undoes a failing
    statement (without one, SQLite leaves the rows it stored before the failure); it stays
    small, since the database is new."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in (f"page_size={PAGE_SIZE}", "journal_mode=MEMORY", "synchronous=OFF", "locking_mode=EXCLUSIVE",
                   "cache_size=-32768", "temp_store=MEMORY"):
        db.execute(f"PRAGMA {pragma}")
    for table in TABLES.values():
        table.create(db)
        table.create_deleted(db)
    return db


def shrink_if_small(db: sqlite3.Connection, path: Path):
    """Large pages load a big HIS faster, but an empty table still takes one: a small package
    (an incremental, a small HIS) is rewritten with SQLite's default pages."""
    if path.stat().st_size < SMALL_PACKAGE:
        db.execute("PRAGMA main.page_size = 4096")
        db.execute("VACUUM main")


def insert_rows(db: sqlite3.Connection, table: Table, rows, count: int | None = None):
    """Insert a batch of rows (each its values, then its hash); a key the HIS yields twice is
    RowsRejected naming entity and key. Many rows go in one statement: the sqlite3 module's cost
    per statement executed is more than SQLite's for storing a row. A failing statement is
    undone as a whole (the journal), and its rows are then inserted one by one to find the first
    repeated key. `rows` a list, or an iterable of `count` rows."""
    count = len(rows) if count is None else count
    if not count:
        return
    width = len(table.columns) + 1
    per = max(1, min(ROWS_PER_INSERT, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    values = list(chain.from_iterable(rows))
    for start in range(0, count, per):
        part = min(per, count - start)
        try:
            db.execute(_insert_sql(table, part), values[start * width:(start + part) * width])
        except sqlite3.IntegrityError:
            rows = [values[i:i + width] for i in range(start * width, (start + part) * width, width)]
            _insert_one_by_one(db, table, rows)


def _insert_one_by_one(db: sqlite3.Connection, table: Table, rows: list):
    sql = table.insert_sql()
    for row in rows:
        try:
            db.execute(sql, row)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" not in str(exc):
                raise RowsRejected(f"{table.name} {table.key(row)}: {exc}") from None
            raise RowsRejected(f"{table.name} {table.key(row)}: the HIS query yields this key more than once "
                               f"(the mapping's key must identify one row)") from None


@functools.lru_cache(maxsize=64)
def _insert_sql(table: Table, rows: int) -> str:
    return table.insert_sql(rows)


class DatabaseWriter:
    """Writes the database of a full package (and its key index) in a second process, so that
    storing the rows in SQLite, which costs about as much as reading and checking them (the
    sqlite3 module binds every value), runs on the other core meanwhile.

    A batch travels as the texts its rows' hashes are made of (value_texts, made anyway): each
    column's texts joined by U+001F, the columns joined by U+001E, then the hashes. The writer
    splits them again, '' back to None (a canonical value is never empty text), and SQLite's
    column types turn the text of a whole number back into the number (INTEGER columns hold
    only integers, and a number that does not fit one is not sent this way). A batch whose
    values hold those separators travels pickled instead. The pipe holds a few batches: memory
    stays bounded. The writer ends when the pipe closes (its parent gone), and fails with the
    message of what it refused.

        writer = DatabaseWriter(work / "package.sqlite3", work / "index.sqlite3")
        writer.rows(table, columns, texts, digests, hashes) ... writer.take_index(table)
        writer.finish()   # committed, and shrunk when small; writer.close() in a finally
    """

    def __init__(self, path: Path, index_path: Path):
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from lifeline.continuity.packages import _writer_main; _writer_main()",
             str(path), str(index_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        try:  # room for a few batches, so that neither side waits for the other at every one
            fcntl.fcntl(self.process.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        except (AttributeError, OSError):  # not Linux, or more than /proc/sys/fs/pipe-max-size
            pass

    def rows(self, table: Table, columns: list[list], texts: list[list[str]], digests: bytes, hashes: list[int]):
        """Store a batch: its columns of stored values, their value_texts, and the rows' hashes
        (as hashes_of gives them)."""
        name = table.name.encode()
        count = len(hashes)
        data = "\x1e".join(map(_UNIT_SEPARATOR_JOIN, texts)).encode()
        if data.count(b"\x1e") == len(texts) - 1 and data.count(b"\x1f") == len(texts) * (count - 1) \
                and _numbers_fit(table, columns):
            self._send(b"R" + struct.pack(">HII", len(name), count, len(data)), name, data, digests)
        else:
            data = pickle.dumps(list(zip(*columns, hashes)), pickle.HIGHEST_PROTOCOL)
            self._send(b"P" + struct.pack(">HI", len(name), len(data)), name, data)

    def take_index(self, table: Table):
        name = table.name.encode()
        self._send(b"I" + struct.pack(">H", len(name)), name)

    def finish(self):
        self._send(b"E")
        self.process.stdin.close()
        self._outcome()

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def _send(self, *parts: bytes):
        try:
            for part in parts:
                self.process.stdin.write(part)
        except (BrokenPipeError, ValueError):  # the writer ended: it says why
            self._outcome()
            raise RowsRejected("the package writer ended early") from None

    def _outcome(self):
        said = self.process.stdout.read().decode(errors="replace").strip()
        code = self.process.wait()
        if code or said != "ok":
            raise RowsRejected(said or f"the package writer ended with exit code {code}")


def _numbers_fit(table: Table, columns: list[list]) -> bool:
    for i in table.integer_positions:
        numbers = [v for v in columns[i] if v is not None]
        if numbers and (min(numbers) < -(1 << 63) or max(numbers) >= 1 << 63):
            return False
    return True


def _writer_main():
    """The DatabaseWriter's process: arguments the database and index paths, batches on stdin,
    "ok" or what went wrong on stdout."""
    from lifeline.continuity.keyindex import KeyIndex

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle; the pipe's end ends this
    source, out = sys.stdin.buffer, sys.stdout
    path, index_path = Path(sys.argv[1]), Path(sys.argv[2])
    db = new_database(path)
    try:
        index = KeyIndex(db, index_path)
        db.execute("BEGIN")
        while True:
            kind = source.read(1)
            if kind == b"R":
                size, count, length = struct.unpack(">HII", _read(source, 10))
                table = TABLES[_read(source, size).decode()]
                columns = list(map(_SPLIT_VALUES, _read(source, length).decode().split("\x1e")))
                for i, values in enumerate(columns):
                    if "" in values:
                        columns[i] = list(map(_NONE_FOR_EMPTY.get, values, values))
                hashes = struct.unpack(f">{count}q", _read(source, 8 * count))
                insert_rows(db, table, zip(*columns, hashes), count)
            elif kind == b"P":
                size, length = struct.unpack(">HI", _read(source, 6))
                table = TABLES[_read(source, size).decode()]
                insert_rows(db, table, pickle.loads(_read(source, length)))
            elif kind == b"I":
                (size,) = struct.unpack(">H", _read(source, 2))
                index.take(TABLES[_read(source, size).decode()], whole=True)
            elif kind == b"E":
                db.execute("COMMIT")
                shrink_if_small(db, path)
                break
            else:
                raise RowsRejected("the build ended before its rows did")
    except Exception as exc:  # noqa: BLE001 - the parent words it
        db.close()
        try:
            out.write(str(exc) or type(exc).__name__)
            out.flush()
        except OSError:  # the parent is gone
            pass
        sys.exit(1)
    db.close()
    out.write("ok")
    out.flush()


_SPLIT_VALUES = methodcaller("split", "\x1f")
_NONE_FOR_EMPTY = {"": None}  # .get(value, value): None for '', else the value itself


def _read(source, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise RowsRejected("the build ended before its rows did")
    return data


# -- the container ----------------------------------------------------------------------------

def _aad(package_id: str, index: int, final: bool) -> bytes:
    return b"lifeline-snapshot\0" + package_id.encode() + index.to_bytes(8) + bytes([final])


def _signed_message(before_signature: bytes) -> bytes:
    return b"lifeline-snapshot-signature\0" + before_signature


def write(plain: Path, out: Path, manifest: dict, key: Key, frame_size: int = FRAME_SIZE) -> str:
    """Encrypt and sign the database `plain` into the new file `out`, synced to disk; returns
    the SHA-256 of the file."""
    package_id = manifest["package_id"]
    header = json.dumps({"format": FORMAT, "frame_size": frame_size, "key_check": key.check_value(package_id.encode()),
                         "manifest": manifest}, sort_keys=True, ensure_ascii=False).encode()
    aes = AESGCM(key.secret)
    whole = hashlib.sha256()

    def put(data: bytes):
        target.write(data)
        whole.update(data)

    with open(plain, "rb") as source, open(out, "xb") as target:
        put(MAGIC + len(header).to_bytes(4) + header)
        chunk, index = source.read(frame_size), 0
        while True:
            following = source.read(frame_size) if chunk else b""
            final = not following
            nonce = os.urandom(12)
            sealed = aes.encrypt(nonce, chunk, _aad(package_id, index, final))
            frame = bytes([final]) + len(sealed).to_bytes(4) + nonce + sealed
            put(frame)
            if final:
                break
            chunk, index = following, index + 1
        put(key.sign(_signed_message(whole.copy().digest())))
        target.flush()
        os.fsync(target.fileno())
    return whole.hexdigest()


@dataclass
class Package:
    path: Path
    manifest: dict
    frame_size: int
    key_check: str
    frames_at: int

    @property
    def id(self) -> str:
        return self.manifest["package_id"]

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def parent_id(self) -> str | None:
        return (self.manifest.get("parent") or {}).get("package_id")


def open_package(path) -> Package:
    """The package's manifest, read without the key (nothing checked yet but the form)."""
    path = Path(path)
    try:
        with open(path, "rb") as source:
            magic = source.read(len(MAGIC))
            if magic != MAGIC:
                raise PackageInvalid(f"{path} is not a Lifeline snapshot package")
            length = int.from_bytes(_exactly(source, 4, "header"))
            if length > _MAX_HEADER:
                raise PackageInvalid("the header is damaged (impossible length)")
            header = _exactly(source, length, "header")
    except OSError as exc:
        raise PackageInvalid(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(header)
        manifest, frame_size, key_check = data["manifest"], int(data["frame_size"]), data["key_check"]
        manifest["package_id"], manifest["key_id"], manifest["kind"]
    except (ValueError, KeyError, TypeError):
        raise PackageInvalid("the header is damaged (not the JSON of a package header)") from None
    if data.get("format") != FORMAT:
        raise PackageInvalid(f"package format {data.get('format')} is not supported (this Lifeline reads {FORMAT})")
    return Package(path, manifest, frame_size, key_check, len(MAGIC) + 4 + length)


def _exactly(source, size: int, what: str) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise PackageInvalid(f"the file is truncated (it ends inside the {what})")
    return data


def _frames(package: Package, source):
    """(index, final, nonce, sealed, raw frame) for each frame; then checks the signature's place."""
    source.seek(package.frames_at)
    index = 0
    while True:
        head = source.read(5)
        if len(head) < 5:
            raise PackageInvalid(f"the file is truncated (it ends before frame {index}; the last frame is missing)")
        final, length = head[0], int.from_bytes(head[1:])
        if final > 1 or not 16 <= length <= package.frame_size + 16:
            raise PackageInvalid(f"frame {index} is damaged (impossible flag or length)")
        nonce = _exactly(source, 12, f"frame {index}")
        sealed = _exactly(source, length, f"frame {index}")
        yield index, bool(final), nonce, sealed, head + nonce + sealed
        if final:
            return
        index += 1


def check_signature(package: Package, key: Key):
    """Pass 1: the whole file is as its builder signed it."""
    with open(package.path, "rb") as source:
        signed = hashlib.sha256(source.read(package.frames_at))
        for *_frame, raw in _frames(package, source):
            signed.update(raw)
        signature = source.read(SIGNATURE_SIZE + 1)
    if len(signature) < SIGNATURE_SIZE:
        raise PackageInvalid("the file is truncated (the signature is missing)")
    if len(signature) > SIGNATURE_SIZE:
        raise PackageInvalid("the file has bytes after its signature (damaged or appended to)")
    if not key.verifies(signature, _signed_message(signed.digest())):
        raise PackageInvalid(f"the signature does not match: the file was changed after it was signed, "
                             f"or not signed by key {key.id}")


def key_for(package: Package, keystore: KeyStore) -> Key:
    key = keystore.get(package.manifest["key_id"])
    if key.check_value(package.id.encode()) != package.key_check:
        raise PackageInvalid(f"wrong key: the key {key.id} of the key store at {keystore.where} is not the key "
                             f"this package was encrypted with")
    return key


def decrypt(package: Package, key: Key, plain: Path):
    """Pass 2: the database, into the new file `plain` (in a private directory)."""
    aes = AESGCM(key.secret)
    fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(package.path, "rb") as source, os.fdopen(fd, "wb") as target:
        for index, final, nonce, sealed, _raw in _frames(package, source):
            try:
                target.write(aes.decrypt(nonce, sealed, _aad(package.id, index, final)))
            except InvalidTag:
                raise PackageInvalid(f"frame {index} does not decrypt: the package is damaged or was changed") \
                    from None


@contextmanager
def decrypted(path, keystore: KeyStore | None = None):
    """(package, path of its database in a private directory) after the signature is checked;
    the plaintext is removed when the block ends."""
    with private_dir() as work:
        plain = work / "package.sqlite3"
        yield unseal(path, plain, keystore), plain


@contextmanager
def opened(path, keystore: KeyStore | None = None):
    """(package, read-only SQLite connection to its database), as `decrypted`."""
    with decrypted(path, keystore) as (package, plain):
        db = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
        try:
            yield package, db
        finally:
            db.close()


def unseal(path, plain: Path, keystore: KeyStore | None = None) -> Package:
    """Check the signature, then decrypt the database into the new file `plain`."""
    package, key = _checked(path, keystore)
    decrypt(package, key, plain)
    return package


def _checked(path, keystore) -> tuple[Package, Key]:
    package = open_package(path)
    key = key_for(package, keystore or KeyStore.default())
    check_signature(package, key)
    return package, key


def verify(path, keystore: KeyStore | None = None) -> Package:
    """Signature, decryption, and every entity's row counts and checksums; PackageInvalid if not good."""
    with opened(path, keystore) as (package, db):
        _verified(package, db)
        return package


def check_contents(package: Package, db: sqlite3.Connection):
    entities = package.manifest.get("entities", {})
    if set(entities) != set(TABLES):
        raise PackageInvalid(f"the manifest lists the entities {', '.join(sorted(entities))}, "
                             f"not the canonical ones")
    for name, table in TABLES.items():
        stated = entities[name]
        _check_columns(db, table.name, table.columns + [HASH])
        found = table_digest(db, table)
        if (found.count, found.hexdigest()) != (stated["rows"], stated["digest"]):
            raise PackageInvalid(f"{name}: {found.count:,} rows with checksum {found.hexdigest()}, but the manifest "
                                 f"says {stated['rows']:,} rows with checksum {stated['digest']}")
        if package.kind == "incremental":
            _check_columns(db, table.deleted, table.entity.key)
            gone = keys_digest(db, table)
            if (gone.count, gone.hexdigest()) != (stated["deleted"], stated["deleted_digest"]):
                raise PackageInvalid(f"{name}: {gone.count:,} deleted keys with checksum {gone.hexdigest()}, but "
                                     f"the manifest says {stated['deleted']:,} with {stated['deleted_digest']}")


def _check_columns(db, table: str, columns: list[str]):
    found = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
    if found != list(columns):
        raise PackageInvalid(f"table {table} is missing or has the columns {found}, not {list(columns)}")


# -- applying a chain -----------------------------------------------------------------------

def apply(paths: list, dest: Path, keystore: KeyStore | None = None) -> dict:
    """Write the database of a chain (a full package, then its incrementals in order) to the new
    file `dest`. Every package is verified, each incremental must follow the one before it, and
    the result must have the counts and checksums the last manifest states; returns that
    manifest. `dest` holds plaintext: put it where only the station's user can read it."""
    if open_package(paths[0]).kind != "full":
        raise PackageInvalid(f"a chain starts with a full package; {paths[0]} is not one")
    package = unseal(paths[0], Path(dest), keystore)
    db = sqlite3.connect(dest)
    try:
        _verified(package, db)
        for path in paths[1:]:
            previous, package = package, open_package(path)
            parent = package.manifest.get("parent") or {}
            if parent.get("package_id") != previous.id or parent.get("sha256") != file_sha256(previous.path):
                raise PackageInvalid(f"{package.id} does not follow {previous.id} "
                                     f"(its parent is {parent.get('package_id')})")
            with decrypted(path, keystore) as (package, plain):
                _apply_one(db, package, plain)
        _check_totals(db, package.manifest)
    except BaseException:
        db.close()
        Path(dest).unlink(missing_ok=True)  # plaintext of a chain that did not apply
        raise
    db.close()
    return package.manifest


def _verified(package: Package, db: sqlite3.Connection):
    try:
        check_contents(package, db)
    except sqlite3.DatabaseError as exc:
        raise PackageInvalid(f"the database inside is damaged: {exc}") from None


def _apply_one(db: sqlite3.Connection, package: Package, plain: Path):
    """Apply one incremental: replace whole entities, or delete its deleted keys and upsert its rows."""
    inc = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
    try:
        _verified(package, inc)
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


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(FRAME_SIZE):
            digest.update(block)
    return digest.hexdigest()

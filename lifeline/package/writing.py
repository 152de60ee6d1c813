"""The database inside a full package while a build writes it (see tables.py for its tables)."""
import fcntl
import functools
import os
import pickle
import signal
import sqlite3
import struct
import subprocess
import sys
from itertools import chain
from operator import methodcaller
from pathlib import Path

from lifeline.package.tables import _UNIT_SEPARATOR_JOIN, PAGE_SIZE, TABLES, Table

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
            [sys.executable, "-c", "from lifeline.package.writing import _writer_main; _writer_main()",
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
        try:
            self.process.stdin.close()  # flushes what is still buffered
        except BrokenPipeError:  # the writer ended before reading it all: _outcome says why
            pass
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
    from lifeline.package.keyindex import KeyIndex

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

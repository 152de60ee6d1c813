"""The comparison itself: summaries of key ranges on each side, drilling into those that differ.

1. The old system's table is read once, ordered by key, and cut every `range_rows` rows: the
   first key of each cut is a boundary. Each range [lo, hi) gets a summary: its row count and the
   sum (mod 2**64) of its normalised rows' hashes, so equal sets of rows give equal summaries
   whatever order they come in.
2. The new system's table is summarised over the same ranges, one range query each (the
   database decides which rows fall in a range, as it will when drilling).
3. A range whose summaries differ is halved at the middle key of its larger side; the first
   half is summarised again and the second half's summary is the range's minus the first's,
   until it holds at most `leaf_rows` rows on either side; then both sides' rows of that range
   are read and compared key by key.

Rows are streamed (server-side cursors), so memory holds the boundaries, the summaries and at
most one small range per side. Keys must be unique on each side. Hashing is done here, not in
SQL (the two products share no hash of normalised values), so every row crosses the network
once; halving then costs about as many rows again as the differing ranges hold, and its gain
is that rows are held in memory only a leaf at a time. Ranges whose summaries agree are never
read again.
"""
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchTableError

from lifeline.core import databases
from lifeline.cutover.compare.normalise import normaliser, row_hash
from lifeline.cutover.compare.report import EXTRA, MISSING, Report, TableReport
from lifeline.cutover.compare.spec import Spec, Table

HASH_SPACE = 2**64
BATCH = 5_000  # rows fetched per round trip while streaming
CONNECT_TIMEOUT, STATEMENT_TIMEOUT = 10, 3_600


class CompareError(Exception):
    """The comparison cannot run: a URL, a connection, a table, a column or a row filter."""


@dataclass(frozen=True)
class Summary:
    rows: int
    hash: int

    def __sub__(self, part: "Summary") -> "Summary":
        """The summary of the rest of a range once a part of it is known (counts and hash sums add up)."""
        return Summary(self.rows - part.rows, (self.hash - part.hash) % HASH_SPACE)


class Side:
    """One table on one side: its key and compared columns, read in key ranges."""

    def __init__(self, connection: sa.Connection, table: sa.Table, spec: Table, side: str):
        self.connection = connection  # one per side for the whole comparison (each stream is read to its end)
        self.keys = [table.c[getattr(column, side)] for column in spec.key]
        self.columns = [table.c[getattr(column, side)] for column in spec.columns]
        where = getattr(spec.where, side)
        self.where = sa.text(where) if where else None
        self.key_normalisers = [normaliser(column) for column in spec.key]
        self.column_normalisers = [normaliser(column) for column in spec.columns]
        self.width = len(self.keys)

    def select(self, lo, hi, *columns) -> sa.Select:
        query = sa.select(*(columns or self.keys + self.columns))
        if self.where is not None:
            query = query.where(self.where)
        key = self.keys[0] if self.width == 1 else sa.tuple_(*self.keys)
        if lo is not None:
            query = query.where(key >= (lo[0] if self.width == 1 else sa.tuple_(*lo)))
        if hi is not None:
            query = query.where(key < (hi[0] if self.width == 1 else sa.tuple_(*hi)))
        return query

    def stream(self, query: sa.Select):
        """The query's rows, fetched in batches from a server-side cursor."""
        result = self.connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        for partition in result.partitions():
            yield from partition

    def normalised(self, row) -> tuple[tuple, tuple]:
        key = tuple(f(v) for f, v in zip(self.key_normalisers, row[:self.width], strict=True))
        return key, tuple(f(v) for f, v in zip(self.column_normalisers, row[self.width:], strict=True))

    def summary(self, lo, hi) -> Summary:
        rows = total = 0
        for row in self.stream(self.select(lo, hi)):
            key, values = self.normalised(row)
            rows += 1
            total += row_hash(key + values)
        return Summary(rows, total % HASH_SPACE)

    def cut(self, range_rows: int):
        """Read the whole table once in key order: (boundaries, summaries of the ranges they cut)."""
        boundaries, summaries, rows, total = [], [], 0, 0
        for row in self.stream(self.select(None, None).order_by(*self.keys)):
            if rows == range_rows:
                boundaries.append(tuple(row[:self.width]))
                summaries.append(Summary(rows, total % HASH_SPACE))
                rows = total = 0
            key, values = self.normalised(row)
            rows += 1
            total += row_hash(key + values)
        summaries.append(Summary(rows, total % HASH_SPACE))
        return boundaries, summaries

    def middle(self, lo, hi, rows: int):
        """The key in the middle of the range, in this side's order."""
        query = self.select(lo, hi, *self.keys).order_by(*self.keys).offset(rows // 2).limit(1)
        found = self.connection.execute(query).first()
        return tuple(found) if found is not None else None

    def rows(self, lo, hi) -> dict:
        """The range's rows, normalised: {key: compared values}."""
        return dict(self.normalised(row) for row in self.stream(self.select(lo, hi)))


def compare(source_url: str, target_url: str, spec: Spec) -> Report:
    """Compare every table of the spec; CompareError before anything is compared when a URL,
    table or column is wrong."""
    with _connected(source_url, "--source") as source, _connected(target_url, "--target") as target:
        sides = [(_side(source, spec, i, "source"), _side(target, spec, i, "target"))
                 for i in range(len(spec.tables))]
        return Report([_compare_table(spec, i, *pair) for i, pair in enumerate(sides)])


@contextmanager
def _connected(url: str, option: str):
    """One connection to the side's database, read-only in intent, each statement time-limited."""
    engine = _engine(url, option)
    try:
        with engine.connect() as connection:
            databases.limit_statement_time(connection, STATEMENT_TIMEOUT)
            yield connection
    finally:
        engine.dispose()


def _engine(url: str, option: str) -> sa.Engine:
    try:
        made = databases.engine(make_url(url), CONNECT_TIMEOUT, STATEMENT_TIMEOUT)
        with made.connect():
            pass
    except ArgumentError:
        raise CompareError(f"{option}: {url!r} is not a database URL "
                           "(dialect://user@host:port/database)") from None
    except databases.MissingDatabaseFile as exc:
        raise CompareError(f"{option}: no SQLite file {exc}") from None
    except (DBAPIError, ModuleNotFoundError) as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        raise CompareError(f"{option}: cannot connect to {shown}: {_reason(exc)}") from None
    return made


def _side(connection: sa.Connection, spec: Spec, index: int, side: str) -> Side:
    table = spec.tables[index]
    name = getattr(table, side)
    schema, _dot, bare = name.rpartition(".")
    try:
        reflected = sa.Table(bare, sa.MetaData(), schema=schema or None, autoload_with=connection)
    except NoSuchTableError:
        raise CompareError(f"{spec.place(('tables', index, side))}: no table {name!r} "
                           f"in the {side} database") from None
    for part in ("key", "columns"):
        for position, column in enumerate(getattr(table, part)):
            if getattr(column, side) not in reflected.c:
                raise CompareError(f"{spec.place(('tables', index, part, position))}: no column "
                                   f"{getattr(column, side)!r} in {side} table {name!r}")
    return Side(connection, reflected, table, side)


def _compare_table(spec: Spec, index: int, source: Side, target: Side) -> TableReport:
    table = spec.tables[index]
    report = TableReport(table.name, tuple(c.name for c in table.columns), table.tolerance, spec.listed)
    try:
        boundaries, source_summaries = source.cut(spec.range_rows)
        bounds = [None, *boundaries, None]
        report.ranges = len(source_summaries)
        for (lo, hi), mine in zip(zip(bounds, bounds[1:], strict=False), source_summaries, strict=True):
            theirs = target.summary(lo, hi)
            report.source_rows += mine.rows
            report.target_rows += theirs.rows
            report.ranges_differing += mine != theirs
            _drill(spec, report, source, target, (lo, hi), mine, theirs)
    except DBAPIError as exc:
        raise CompareError(f"{spec.place(('tables', index))}: the database refused a query "
                           f"(check `where`): {_reason(exc)}") from None
    return report


def _drill(spec: Spec, report: TableReport, source: Side, target: Side, bounds, mine: Summary, theirs: Summary):
    """Find the differing rows of a range whose summaries are given (halving while it is large)."""
    pending = [(bounds, mine, theirs)]
    while pending:
        (lo, hi), mine, theirs = pending.pop()
        if mine == theirs:
            continue
        larger, rows = (source, mine.rows) if mine.rows >= theirs.rows else (target, theirs.rows)
        middle = larger.middle(lo, hi, rows) if rows > spec.leaf_rows else None
        if middle is None or middle == lo:
            _compare_rows(report, source, target, lo, hi)
            continue
        left = source.summary(lo, middle), target.summary(lo, middle)
        report.rows_reread += left[0].rows + left[1].rows
        pending.append(((lo, middle), *left))
        pending.append(((middle, hi), mine - left[0], theirs - left[1]))


def _compare_rows(report: TableReport, source: Side, target: Side, lo, hi):
    old, new = source.rows(lo, hi), target.rows(lo, hi)
    report.rows_reread += len(old) + len(new)
    for key, values in old.items():
        if key not in new:
            report.one_side_only(MISSING, key, values)
        elif new[key] != values:
            report.changed(key, values, new[key])
    for key, values in new.items():
        if key not in old:
            report.one_side_only(EXTRA, key, values)


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]

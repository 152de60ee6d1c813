"""Reading the canonical base data out of a HIS database (SQLAlchemy Core, no ORM).

    source = HisSource(mapping.load("his.yaml"))
    with source.snapshot() as snap:          # one consistent read of the whole HIS
        read = snap.read("patient")
        for row in read:                     # canonical, checked rows (dicts), streamed in batches
            ...                              # (read.batches(): lists of tuples, read.columns order)
        kept = watermark_to_json(read.mark)  # JSON, for the next build
        later = snap.read("patient", since=kept)     # only rows changed since then

A snapshot is one transaction: REPEATABLE READ on PostgreSQL and MySQL/MariaDB (every
query sees the data as of the first one), SERIALIZABLE on Oracle, SNAPSHOT on SQL Server
(the database must allow it), a single read transaction on SQLite. Rows are fetched with
server-side cursors in batches, so memory does not grow with the size of the HIS.
"""
from contextlib import contextmanager
from operator import itemgetter

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError

from lifeline.continuity import fetch
from lifeline.continuity.canonical import ENTITIES, RowProblem
from lifeline.continuity.checking import BatchChecker
from lifeline.continuity.mapping import Mapping
from lifeline.continuity.watermarks import Tracker, Watermark, watermark_from_json, watermark_to_json  # noqa: F401 - the JSON helpers are part of the adapter's API
from lifeline.core import databases
from lifeline.core.databases import PasswordUnavailable

ISOLATION = {"postgresql": "REPEATABLE READ", "mysql": "REPEATABLE READ", "mariadb": "REPEATABLE READ",
             "oracle": "SERIALIZABLE", "mssql": "SNAPSHOT"}
# Driver errors that mean "the statement ran out of time": PostgreSQL query_canceled, MariaDB
# max_statement_time (1969), MySQL max_execution_time (3024), SQLite interrupted by our handler.
_TIMEOUT_CODES = {"57014", 1969, 3024}


class HisError(Exception):
    """A HIS read failed; the message names the entity when one was being read."""

    def __init__(self, message: str, entity: str | None = None):
        super().__init__(f"{entity}: {message}" if entity else message)
        self.entity = entity


class HisUnreachable(HisError):
    pass


class HisTimeout(HisError):
    pass


class MissingColumns(HisError):
    def __init__(self, entity: str, missing: list[str]):
        super().__init__(f"the query yields no column {', '.join(missing)} (every canonical field needs one; "
                         f"use NULL AS name for an optional field the HIS lacks)", entity)
        self.missing = missing


class QueryFailed(HisError):
    pass


class HisSource:
    def __init__(self, mapping: Mapping, batch_size: int = 2000, fetch_ahead: bool = True):
        """`fetch_ahead`: on PostgreSQL, a thread fetches the next batch while the reader works on
        one (see fetch.py); a reader that releases the GIL often (SQLite statements) is faster
        without it."""
        self.mapping = mapping
        self.batch_size = batch_size
        self.fetch_ahead = fetch_ahead
        self.timeout = mapping.connection.query_timeout
        self.engine = self._engine()

    def _engine(self) -> sa.Engine:
        connection = self.mapping.connection
        try:
            url = connection.sqlalchemy_url()
            engine = databases.engine(url, connection.connect_timeout, self.timeout)
        except PasswordUnavailable as exc:
            raise HisUnreachable(str(exc)) from None
        except databases.MissingDatabaseFile as exc:
            raise HisUnreachable(f"HIS database file {exc} does not exist") from None
        if engine.dialect.name == "sqlite":
            _sqlite_read_transactions(engine)
        return engine

    def where(self) -> str:
        url = self.engine.url
        return f"{url.host}:{url.port or 'default port'}" if url.host else str(url.database)

    @contextmanager
    def snapshot(self):
        try:
            connection = self.engine.connect()
        except (OperationalError, DBAPIError) as exc:
            raise HisUnreachable(f"HIS at {self.where()} is unreachable: {_first_line(exc.orig)}") from None
        try:
            isolation = ISOLATION.get(self.engine.dialect.name)
            if isolation:
                connection = connection.execution_options(isolation_level=isolation)
            with connection.begin():
                databases.limit_statement_time(connection, self.timeout)
                yield Snapshot(self, connection)
        finally:
            connection.close()

    def columns(self, entity: str, connection) -> list[str]:
        """The columns an entity's query yields (lower case), without fetching a row."""
        query = self.mapping.entities[entity].query
        stmt = sa.text(f"SELECT * FROM ({query}) src WHERE 1 = 0")
        with self._errors(entity):
            return [c.lower() for c in connection.execute(stmt).keys()]

    @contextmanager
    def _errors(self, entity: str):
        try:
            yield
        except DBAPIError as exc:
            code = getattr(exc.orig, "sqlstate", None) or (exc.orig.args[0] if exc.orig.args else None)
            if code in _TIMEOUT_CODES or "interrupted" in str(exc.orig):
                raise HisTimeout(f"the query took longer than {self.timeout} s (connection.query_timeout)",
                                 entity) from None
            if isinstance(exc, OperationalError) and exc.connection_invalidated:
                raise HisUnreachable(f"lost the HIS at {self.where()}: {_first_line(exc.orig)}", entity) from None
            raise QueryFailed(f"the HIS rejected the query: {_first_line(exc.orig)}", entity) from None


class Snapshot:
    """Reads inside one consistent transaction of the HIS."""

    def __init__(self, source: HisSource, connection: sa.Connection):
        self.source = source
        self.connection = connection

    def read(self, entity: str, since=None) -> "EntityRead":
        return EntityRead(self, entity, since)


class EntityRead:
    """The checked, canonical rows of one entity, as dicts (iterate), tuples in `columns` order
    (`tuples()`) or lists of such tuples (`batches()`, the fastest). Each iteration is one read;
    after it, `count` is the rows delivered, `skipped` the problems of rows left out (when the
    mapping says on_invalid_row: skip), `watermark` the newest watermark value seen (or the
    since value when nothing changed) and `mark` the Watermark to give the next read as `since`
    (keep it with watermark_to_json / watermark_from_json).

    `since` is a Watermark, its JSON form, or a bare value of the watermark column; rows whose
    watermark is >= its value are read (see lifeline.continuity.watermarks for why not >).
    One read at a time per snapshot: on PostgreSQL the rows stream over the snapshot's connection."""

    def __init__(self, snapshot: Snapshot, entity: str, since=None):
        self.snapshot = snapshot
        self.entity = ENTITIES[entity]
        self.spec = snapshot.source.mapping.entities[entity]
        if since is not None and not self.spec.watermark:
            raise HisError("an incremental read needs a watermark column in the mapping", entity)
        self.since = _as_watermark(since)
        self._start()

    def _start(self):
        self.tracker = Tracker(self.since)
        self.skipped: list[RowProblem] = []
        self.count = 0

    @property
    def columns(self) -> list[str]:
        return self.entity.columns

    @property
    def watermark(self):
        return self.tracker.value

    @property
    def mark(self) -> Watermark | None:
        return self.tracker.mark

    def statement(self):
        query = self.spec.query
        if self.since is None:
            return sa.text(query)
        value = self.since.value  # an int may be a row version beyond 32 bits
        since = sa.bindparam("since", value, type_=sa.BigInteger() if isinstance(value, int) else None)
        return sa.text(f"SELECT * FROM ({query}) src WHERE src.{self.spec.watermark} >= :since").bindparams(since)

    def batches(self):
        return self._read(as_columns=False)

    def column_batches(self):
        """As batches(), each batch as its columns: lists of the values of each field, in `columns`
        order (what a package build hashes and stores; no tuple per row is made)."""
        return self._read(as_columns=True)

    def _read(self, as_columns: bool):
        source, name = self.snapshot.source, self.entity.name
        self._start()
        with source._errors(name), fetch.batches(self.snapshot.connection, self.statement(), source.batch_size,
                                                 source.timeout, source.fetch_ahead) as (names, batches):
            self._check_columns(names)
            check = BatchChecker(self.entity, names)
            mark_of = itemgetter(names.index(self.spec.watermark.lower())) if self.spec.watermark else None
            # Rows already delivered by the read `since` comes from are dropped row by row below.
            by_columns = as_columns and not (self.since and self.since.seen)
            for batch in batches:
                columns = check.clean_columns(batch) if by_columns else None
                if columns is not None:  # every row good, none to drop: no rows made
                    if mark_of:
                        self.tracker.watch(list(map(mark_of, batch)), _RowsOf(columns))
                    self.count += len(batch)
                    yield columns
                    continue
                rows, problems = check(batch) if not by_columns else check.row_by_row(batch)
                if problems and self.spec.on_invalid_row == "fail":
                    raise problems[0]
                for invalid in problems:
                    self.skipped += invalid.problems
                if mark_of:
                    rows = self.tracker.watch(list(map(mark_of, batch)), rows)
                if problems or (self.since and self.since.seen):
                    rows = [row for row in rows if row is not None]
                self.count += len(rows)
                if rows:
                    yield [list(column) for column in zip(*rows)] if as_columns else rows

    def tuples(self):
        for batch in self.batches():
            yield from batch

    def __iter__(self):
        columns = self.columns
        for batch in self.batches():
            for row in batch:
                yield dict(zip(columns, row))

    def _check_columns(self, names: list[str]):
        wanted = self.entity.columns + ([self.spec.watermark.lower()] if self.spec.watermark else [])
        missing = [c for c in wanted if c not in names]
        if missing:
            raise MissingColumns(self.entity.name, missing)


class _RowsOf:
    """The rows of a batch held as columns, each made only when asked for (by the watermark
    tracker, for the few rows at the newest watermark)."""

    def __init__(self, columns: list[list]):
        self.columns = columns

    def __getitem__(self, i: int) -> tuple:
        return tuple(column[i] for column in self.columns)


def _as_watermark(since) -> Watermark | None:
    if since is None or isinstance(since, Watermark):
        return since
    if isinstance(since, dict):
        return watermark_from_json(since)
    return Watermark(since)


def _sqlite_read_transactions(engine):
    """pysqlite does not begin a transaction for SELECT; begin one, so all reads see one state."""

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection, record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


def _first_line(error) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def check_columns(mapping: Mapping) -> list[tuple[str, str]]:
    """(entity, reason) for each query that fails or does not yield its canonical columns."""
    source = HisSource(mapping)
    found = []
    with source.snapshot() as snap:
        for name, spec in mapping.entities.items():
            try:
                with snap.connection.begin_nested():  # a failing query must not end the transaction
                    columns = source.columns(name, snap.connection)
            except HisError as exc:
                found.append((name, str(exc)))
                continue
            wanted = ENTITIES[name].columns + ([spec.watermark.lower()] if spec.watermark else [])
            missing = [c for c in wanted if c not in columns]
            if missing:
                found.append((name, str(MissingColumns(name, missing))))
    return found

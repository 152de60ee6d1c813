"""Reading the canonical base data out of a HIS database (SQLAlchemy Core, no ORM).

    source = HisSource(mapping.load("his.yaml"))
    with source.snapshot() as snap:          # one consistent read of the whole HIS
        for row in snap.read("patient"):     # canonical, checked rows, streamed in batches
            ...
        later = snap.read("drug", since=watermark)   # only rows changed since then

A snapshot is one transaction: REPEATABLE READ on PostgreSQL and MySQL/MariaDB (every
query sees the data as of the first one), SERIALIZABLE on Oracle, SNAPSHOT on SQL Server
(the database must allow it), a single read transaction on SQLite. Rows are fetched with
server-side cursors in batches, so memory does not grow with the size of the HIS.
"""
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from lifeline.continuity.canonical import ENTITIES, InvalidRow, RowProblem
from lifeline.continuity.mapping import Mapping, PasswordUnavailable

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
    def __init__(self, mapping: Mapping, batch_size: int = 2000):
        self.mapping = mapping
        self.batch_size = batch_size
        self.timeout = mapping.connection.query_timeout
        self.engine = self._engine()

    def _engine(self) -> sa.Engine:
        connection = self.mapping.connection
        try:
            url = connection.sqlalchemy_url()
        except PasswordUnavailable as exc:
            raise HisUnreachable(str(exc)) from None
        backend = url.get_backend_name()
        connect_args = {}
        if backend in ("postgresql", "mysql", "mariadb"):
            connect_args["connect_timeout"] = connection.connect_timeout
        if backend == "sqlite":
            if url.database and url.database != ":memory:" and not Path(url.database).is_file():
                raise HisUnreachable(f"HIS database file {url.database} does not exist")
            connect_args["timeout"] = connection.connect_timeout
        engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
        if backend == "sqlite":
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
                self._limit_statement_time(connection)
                yield Snapshot(self, connection)
        finally:
            connection.close()

    def _limit_statement_time(self, connection):
        dialect = self.engine.dialect
        if dialect.name == "postgresql":
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {self.timeout * 1000}")
        elif dialect.name in ("mysql", "mariadb") and getattr(dialect, "is_mariadb", False):
            connection.exec_driver_sql(f"SET SESSION max_statement_time = {self.timeout}")
        elif dialect.name == "mysql":
            connection.exec_driver_sql(f"SET SESSION max_execution_time = {self.timeout * 1000}")

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
    """The checked, canonical rows of one entity; after iterating, `watermark` is the newest
    watermark value seen (or the `since` given when nothing changed) and `skipped` lists the
    problems of rows left out (when the mapping says on_invalid_row: skip)."""

    def __init__(self, snapshot: Snapshot, entity: str, since=None):
        self.snapshot = snapshot
        self.entity = ENTITIES[entity]
        self.spec = snapshot.source.mapping.entities[entity]
        if since is not None and not self.spec.watermark:
            raise HisError("an incremental read needs a watermark column in the mapping", entity)
        self.since = since
        self.watermark = since
        self.skipped: list[RowProblem] = []
        self.count = 0

    def statement(self):
        query = self.spec.query
        if self.since is None:
            return sa.text(query)
        return sa.text(f"SELECT * FROM ({query}) src WHERE src.{self.spec.watermark} > :since") \
            .bindparams(since=self.since)

    def __iter__(self):
        source, name = self.snapshot.source, self.entity.name
        connection = self.snapshot.connection.execution_options(stream_results=True,
                                                                yield_per=source.batch_size)
        with source._errors(name), _deadline(connection, source.timeout) as restart:
            result = connection.execute(self.statement())
            try:
                names = [c.lower() for c in result.keys()]
                self._check_columns(names)
                for batch in result.partitions(source.batch_size):  # no size: fetches all rows at once
                    restart()
                    yield from self._clean(names, batch)
            finally:
                result.close()

    def _check_columns(self, names: list[str]):
        wanted = self.entity.columns + ([self.spec.watermark.lower()] if self.spec.watermark else [])
        missing = [c for c in wanted if c not in names]
        if missing:
            raise MissingColumns(self.entity.name, missing)

    def _clean(self, names, batch):
        entity, watermark = self.entity, self.spec.watermark and self.spec.watermark.lower()
        for values in batch:
            row = dict(zip(names, values))
            if watermark:
                mark = row[watermark]
                if mark is not None and (self.watermark is None or mark > self.watermark):
                    self.watermark = mark
            try:
                clean = entity.clean(row)
            except InvalidRow as exc:
                if self.spec.on_invalid_row == "fail":
                    raise
                self.skipped += exc.problems
                continue
            self.count += 1
            yield clean


@contextmanager
def _deadline(connection, seconds):
    """On SQLite (no server-side timeout), interrupt a statement that runs past `seconds`; the
    clock restarts with every batch, like PostgreSQL's statement_timeout on each FETCH."""
    if connection.dialect.name != "sqlite":
        yield lambda: None
        return
    deadline = [time.monotonic() + seconds]
    raw = connection.connection.driver_connection
    raw.set_progress_handler(lambda: time.monotonic() > deadline[0], 10000)
    try:
        yield lambda: deadline.__setitem__(0, time.monotonic() + seconds)
    finally:
        raw.set_progress_handler(None, 0)


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

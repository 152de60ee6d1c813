"""Reading the canonical base data out of a HIS database (SQLAlchemy Core, no ORM).

    source = HisSource(mapping.load("his.yaml"))
    with source.snapshot() as snap:          # one consistent read of the whole HIS
        read = snap.read("patient")
        for row in read:                     # canonical, checked rows (dicts), streamed in batches
            ...                              # (read.batches(): lists of tuples, read.columns order)
        kept = watermark_to_json(read.mark)  # JSON, for the next build
        later = snap.read("patient", since=kept)     # only rows changed since then
        snap.numbers()                       # {"visit": 812346, ...}: the HIS's next numbers (sequences)

A snapshot is one transaction: REPEATABLE READ on PostgreSQL and MySQL/MariaDB (every
query sees the data as of the first one), SERIALIZABLE on Oracle, SNAPSHOT on SQL Server
(the database must allow it), a single read transaction on SQLite. Rows are fetched with
server-side cursors in batches, so memory does not grow with the size of the HIS.

The snapshot first reads the HIS's own clock (`Snapshot.clock`, in the same transaction). A
date/time watermark beyond it (a row stamped in the future: an application server writing
local time into a UTC database) would make every later incremental ask for rows newer than
that future time and read nothing; so the watermark a read keeps is at most the HIS's clock,
and the read says how many rows were ahead (`EntityRead.ahead`).

Bad values do what the mapping says: `on_invalid_row` for the entity (fail, skip), per field
`fields.<name>.on_invalid` (null: the value is emptied and the row kept, optional fields only).
A read that fails on bad rows first looks for more of them (up to FAILED_SHOWN rows), so the
problem is seen whole.
"""
import dataclasses
import datetime
from contextlib import contextmanager
from operator import itemgetter

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, OperationalError

from lifeline.core import databases
from lifeline.core.databases import PasswordUnavailable
from lifeline.his import fetch
from lifeline.his.canonical import ENTITIES, FAILED, SKIPPED, InvalidRow, RowProblem
from lifeline.his.checking import BatchChecker
from lifeline.his.mapping import Mapping
from lifeline.his.watermarks import Tracker, Watermark, watermark_from_json, watermark_to_json  # noqa: F401 - the JSON helpers are part of the adapter's API
from lifeline.his.wording import gettext as _

ISOLATION = {"postgresql": "REPEATABLE READ", "mysql": "REPEATABLE READ", "mariadb": "REPEATABLE READ",
             "oracle": "SERIALIZABLE", "mssql": "SNAPSHOT"}
# Driver errors that mean "the statement ran out of time": PostgreSQL query_canceled, MariaDB
# max_statement_time (1969), MySQL max_execution_time (3024), SQLite interrupted by our handler.
_TIMEOUT_CODES = {"57014", 1969, 3024}
# The HIS's clock: its local time (the session's zone, as a timestamp column without zone reads)
# and UTC, read in the snapshot's transaction.
_CLOCK = {
    "postgresql": "SELECT LOCALTIMESTAMP, CURRENT_TIMESTAMP",
    "mysql": "SELECT NOW(6), UTC_TIMESTAMP(6)",
    "mariadb": "SELECT NOW(6), UTC_TIMESTAMP(6)",
    "sqlite": "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime'), strftime('%Y-%m-%d %H:%M:%f', 'now')",
    "oracle": "SELECT LOCALTIMESTAMP, SYS_EXTRACT_UTC(SYSTIMESTAMP) FROM DUAL",
    "mssql": "SELECT SYSDATETIME(), SYSUTCDATETIME()",
}
# A read that fails on bad rows reads on until it has found this many (or the entity ends).
FAILED_SHOWN = 20
# Keys of rows stamped ahead of the HIS's clock kept as examples.
AHEAD_EXAMPLES = 20
# Rows stamped less than this beyond the HIS's clock (an application server's clock a little
# fast) are not reported; the watermark kept is the clock's whole second all the same.
AHEAD_SLACK = datetime.timedelta(minutes=1)


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
        super().__init__(_("the query yields no column %(columns)s (every canonical field needs one; use NULL AS "
                           "name for an optional field the HIS lacks)") % {"columns": ", ".join(missing)}, entity)
        self.missing = missing


class MissingWatermark(HisError):
    """The query lacks the column the mapping names as the entity's watermark."""

    def __init__(self, entity: str, column: str):
        super().__init__(_("the query yields no column %(column)s, which entities.%(entity)s.watermark names: add "
                           "the HIS's last-modified time (or row version) to the query as %(column)s, or remove "
                           "watermark: to read the entity whole in every incremental (NULL AS %(column)s would "
                           "hide every change from incrementals)") % {"column": column, "entity": entity}, entity)
        self.missing = [column]


class QueryFailed(HisError):
    pass


@dataclasses.dataclass(frozen=True)
class ClockLimit:
    """The HIS's clock for one watermark: `parse` makes a watermark value comparable (text is read
    as the date and time it spells), `exact` is the clock, `report` a minute later (beyond it a
    row is reported), `kept` what a watermark beyond the clock becomes (the clock to the whole
    second, in the watermark's own type and form)."""
    parse: object
    exact: object
    report: object
    kept: object

    def beyond(self, value, limit) -> bool:
        return value is not None and self.parse(value) > limit


@dataclasses.dataclass(frozen=True)
class HisClock:
    """The HIS's own time when the snapshot began: `local` in its session's zone (naive, as a
    timestamp column without zone reads), `utc` (aware)."""
    local: datetime.datetime
    utc: datetime.datetime

    def limit_for(self, value) -> ClockLimit | None:
        """The clock as limits for this watermark's values; None when the watermark is no date or
        time (a row version, a number: no clock says how far they may go)."""
        same = _same
        if isinstance(value, datetime.datetime):
            now = self.utc.astimezone(value.tzinfo) if value.tzinfo else self.local
            return ClockLimit(same, now, now + AHEAD_SLACK, now.replace(microsecond=0))
        if isinstance(value, datetime.date):
            today = self.local.date()
            return ClockLimit(same, today, (self.local + AHEAD_SLACK).date(), today)
        if isinstance(value, str):
            text = value.strip()
            try:
                parsed = datetime.datetime.fromisoformat(text)
            except ValueError:
                return None
            if parsed.tzinfo:
                return None  # text with a zone: Lifeline does not read it
            if len(text) == 10:
                return ClockLimit(_text_date, self.local.date(), (self.local + AHEAD_SLACK).date(),
                                  self.local.date().isoformat())
            kept = self.local.isoformat(sep="T" if "T" in text else " ", timespec="seconds")
            return ClockLimit(_text_time, self.local, self.local + AHEAD_SLACK, kept)
        return None


def _same(value):
    return value


def _text_date(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value.strip()[:10])


def _text_time(value: str) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(value.strip())
    except ValueError:  # not a date and time: never beyond the clock
        return datetime.datetime.min


def _moment(value, utc: bool) -> datetime.datetime:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if utc:
        return (value if value.tzinfo else value.replace(tzinfo=datetime.UTC)).astimezone(datetime.UTC)
    return value.replace(tzinfo=None)


@dataclasses.dataclass
class Ahead:
    """Rows of one read whose watermark is beyond the HIS's clock."""
    rows: int = 0
    newest: object = None
    clock: object = None
    keys: list = dataclasses.field(default_factory=list)
    since_was: object = None  # the watermark the read started from, when that was ahead too


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
            raise HisUnreachable(_("HIS database file %(file)s does not exist") % {"file": exc}) from None
        if engine.dialect.name == "sqlite":  # pysqlite begins no transaction for SELECT: all reads see one state
            databases.sqlite_transactions(engine)
        return engine

    def where(self) -> str:
        url = self.engine.url
        return f"{url.host}:{url.port or 'default port'}" if url.host else str(url.database)

    @contextmanager
    def snapshot(self):
        try:
            connection = self.engine.connect()
        except (OperationalError, DBAPIError) as exc:
            raise HisUnreachable(_("HIS at %(where)s is unreachable: %(reason)s") % {
                "where": self.where(), "reason": _first_line(exc.orig)}) from None
        try:
            isolation = ISOLATION.get(self.engine.dialect.name)
            if isolation:
                connection = connection.execution_options(isolation_level=isolation)
            with connection.begin():
                databases.limit_statement_time(connection, self.timeout)
                yield Snapshot(self, connection, self._clock(connection))
        finally:
            connection.close()

    def _clock(self, connection) -> HisClock | None:
        """The HIS's clock, read in the snapshot's transaction (None where Lifeline cannot ask)."""
        dialect = connection.dialect
        sql = _CLOCK.get("mariadb" if getattr(dialect, "is_mariadb", False) else dialect.name)
        if sql is None:
            return None
        try:
            with connection.begin_nested():  # a refusal must not end the transaction
                local, utc = connection.exec_driver_sql(sql).one()
            return HisClock(_moment(local, utc=False), _moment(utc, utc=True))
        except (DBAPIError, ValueError, TypeError):
            return None

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
                raise HisTimeout(_("the query took longer than %(seconds)s s (connection.query_timeout)")
                                 % {"seconds": self.timeout}, entity) from None
            if isinstance(exc, OperationalError) and exc.connection_invalidated:
                raise HisUnreachable(_("lost the HIS at %(where)s: %(reason)s") % {
                    "where": self.where(), "reason": _first_line(exc.orig)}, entity) from None
            raise QueryFailed(_("the HIS rejected the query: %(reason)s") % {"reason": _first_line(exc.orig)},
                              entity) from None


class Snapshot:
    """Reads inside one consistent transaction of the HIS; `clock` is the HIS's time at its start."""

    def __init__(self, source: HisSource, connection: sa.Connection, clock: HisClock | None = None):
        self.source = source
        self.connection = connection
        self.clock = clock

    def read(self, entity: str, since=None, **options) -> "EntityRead":
        return EntityRead(self, entity, since, **options)

    def numbers(self) -> dict[str, int]:
        """The HIS's next number of each kind the mapping's `sequences` name (canonical.NUMBERS),
        read in this snapshot's transaction: the highest issued plus one, or the next itself as
        `returns` says; 1 when none was issued (NULL). Kinds the mapping does not name are left
        out. HisError naming `sequences.<kind>` when a query fails or yields no whole number."""
        return {kind: self.number(kind) for kind in self.source.mapping.sequences}

    def number(self, kind: str) -> int:
        spec = self.source.mapping.sequences[kind]
        where = f"sequences.{kind}"
        with self.source._errors(where):
            result = self.connection.execute(sa.text(spec.query))
            if len(result.keys()) != 1:
                raise QueryFailed(_("the query yields %(count)s columns, not one number")
                                  % {"count": len(result.keys())}, where)
            row = result.first()
        value = _whole_number(row[0] if row else None)
        if value is None:
            raise QueryFailed(_("%(value)r is not a whole number of 0 or more") % {"value": row[0]}, where)
        return max(value, 1) if spec.returns == "next" else value + 1


class EntityRead:
    """The checked, canonical rows of one entity, as dicts (iterate), tuples in `columns` order
    (`tuples()`) or lists of such tuples (`batches()`, the fastest). Each iteration is one read;
    after it, `count` is the rows delivered, `skipped` the problems of rows left out (the mapping
    says skip), `nulled` those of values emptied (the field says on_invalid: null), `watermark`
    the newest watermark value seen (or the since value when nothing changed), at most the HIS's
    clock, and `mark` the Watermark to give the next read as `since` (keep it with
    watermark_to_json / watermark_from_json). `ahead` says how many rows were stamped beyond the
    HIS's clock (None: none), `null_marks` how many had no watermark value.

    `since` is a Watermark, its JSON form, or a bare value of the watermark column; rows whose
    watermark is >= its value, less the mapping's watermark_lookback, are read (see
    lifeline.his.watermarks for why not >). One read at a time per snapshot: on
    PostgreSQL the rows stream over the snapshot's connection.

    Options: `changed_since` (a watermark value): the keys of rows whose watermark is at or after
    it are kept in `changed_keys` (what an incremental since then would have read; the drift
    check leaves them out). `limit`: read at most that many rows. `report_all`: never stop at a
    bad row; rows the mapping would fail on are left out and their problems kept in `failed`
    (a check of the values, not a build)."""

    def __init__(self, snapshot: Snapshot, entity: str, since=None, *, changed_since=None, limit: int | None = None,
                 report_all: bool = False):
        self.snapshot = snapshot
        self.entity = ENTITIES[entity]
        self.spec = snapshot.source.mapping.entities[entity]
        if since is not None and not self.spec.watermark:
            raise HisError(_("an incremental read needs a watermark column in the mapping"), entity)
        self.since = _as_watermark(since)
        self.changed_since = changed_since
        self.limit = limit
        self.report_all = report_all
        self._start()

    def _start(self):
        self.tracker = Tracker(self.since)
        self.skipped: list[RowProblem] = []
        self.nulled: list[RowProblem] = []
        self.failed: list[RowProblem] = []
        self.failed_rows = 0
        self.count = 0
        self.null_marks = 0
        self.changed_keys: set[str] = set()
        self.ahead: Ahead | None = None
        self._limit: ClockLimit | None = None  # the HIS's clock for this watermark, from the first value seen
        self._limit_known = False
        if self.since is not None:
            self._clock_like(self.since.value)

    @property
    def columns(self) -> list[str]:
        return self.entity.columns

    @property
    def watermark(self):
        return self.tracker.value

    @property
    def mark(self) -> Watermark | None:
        return self.tracker.mark

    def _clock_like(self, value):
        clock = self.snapshot.clock
        if self._limit_known or value is None:
            return
        self._limit_known = True
        if clock is not None:
            self._limit = clock.limit_for(value)

    def since_value(self):
        """The watermark value rows are read from: the kept one, at most the HIS's clock (a kept
        watermark from before this check may be ahead of it), less the look-back window."""
        if self.since is None:
            return None
        value, limit = self.since.value, self._limit
        if limit is not None and limit.beyond(value, limit.exact):
            if limit.beyond(value, limit.report):
                self.ahead = Ahead(clock=limit.kept, since_was=value)
            value = limit.kept
        return _earlier(value, self.spec.lookback)

    def statement(self):
        query, since = self.spec.query, self.since_value()
        if since is not None:
            bind = sa.bindparam("since", since, type_=sa.BigInteger() if isinstance(since, int) else None)
        if self.limit is not None:
            stmt = sa.select(sa.literal_column("*")).select_from(sa.text(f"({query}) src")).limit(self.limit)
            return stmt.where(sa.text(f"src.{self.spec.watermark} >= :since").bindparams(bind)) \
                if since is not None else stmt
        if since is None:
            return sa.text(query)
        # an int may be a row version beyond 32 bits
        return sa.text(f"SELECT * FROM ({query}) src WHERE src.{self.spec.watermark} >= :since").bindparams(bind)

    def batches(self):
        return self._read(as_columns=False)

    def column_batches(self):
        """As batches(), each batch as its columns: lists of the values of each field, in `columns`
        order (what a package build hashes and stores; no tuple per row is made)."""
        return self._read(as_columns=True)

    def _read(self, as_columns: bool):
        source, name, spec = self.snapshot.source, self.entity.name, self.spec
        self._start()
        statement = self.statement()
        with source._errors(name), fetch.batches(self.snapshot.connection, statement, source.batch_size,
                                                 source.timeout, source.fetch_ahead) as (names, batches):
            self._check_columns(names)
            check = BatchChecker(self.entity, names, spec.nullable)
            mark_of = itemgetter(names.index(spec.watermark.lower())) if spec.watermark else None
            key_positions = [names.index(k) for k in self.entity.key]
            self._key_of = lambda row: "/".join(str(row[p]).strip() for p in key_positions)
            # Rows already delivered by the read `since` comes from are dropped row by row below.
            by_columns = as_columns and not (self.since and self.since.seen)
            for batch in batches:
                marks = list(map(mark_of, batch)) if mark_of else None
                columns = check.clean_columns(batch) if by_columns and not self.failed_rows else None
                if columns is not None:  # every row good, none to drop: no rows made
                    self.nulled += check.nulled
                    if marks is not None:
                        self.tracker.watch(marks, _RowsOf(columns))
                        self._watch_marks(marks, batch)
                    self.count += len(batch)
                    yield columns
                    continue
                rows, problems = check(batch) if not by_columns else check.row_by_row(batch)
                self.nulled += check.nulled
                problems = self._judge(problems)
                if self.failed_rows:
                    if self.failed_rows >= FAILED_SHOWN:
                        break
                    continue  # the read fails: look for more bad rows, deliver nothing more
                if marks is not None:
                    rows = self.tracker.watch(marks, rows)
                    self._watch_marks(marks, batch)
                if problems or (self.since and self.since.seen):
                    rows = [row for row in rows if row is not None]
                self.count += len(rows)
                if rows:
                    yield [list(column) for column in zip(*rows)] if as_columns else rows
        if self.failed_rows and not self.report_all:
            raise InvalidRow(self.failed)
        self._clamp()

    def _judge(self, problems: list[InvalidRow]) -> list[InvalidRow]:
        """Sort the bad rows of a batch: those the mapping fails on (FAILED), the others left out
        (SKIPPED). Returns them all (each is a row left out)."""
        for invalid in problems:
            fails = any(self.spec.rule(p.field) == "fail" for p in invalid.problems)
            outcome = FAILED if fails else SKIPPED
            judged = [dataclasses.replace(p, outcome=outcome) for p in invalid.problems]
            if fails:
                self.failed += judged
                self.failed_rows += 1
            else:
                self.skipped += judged
        if self.report_all:
            self.failed_rows = 0
        return problems

    def _watch_marks(self, marks: list, batch):
        """Count rows without a watermark value, rows stamped beyond the HIS's clock, and keep the
        keys of rows changed since `changed_since`."""
        top = self.tracker.batch_top
        self.null_marks += self.tracker.batch_nulls
        if top is None:
            return
        self._clock_like(top)
        limit = self._limit
        if limit is not None and limit.beyond(top, limit.report):
            ahead = [i for i, m in enumerate(marks) if limit.beyond(m, limit.report)]
            found = self.ahead or Ahead(clock=limit.kept)
            found.rows += len(ahead)
            newest = max((marks[i] for i in ahead), key=limit.parse)
            found.newest = newest if found.newest is None or limit.beyond(newest, limit.parse(found.newest)) \
                else found.newest
            found.keys += [self._key_of(batch[i]) for i in ahead[:AHEAD_EXAMPLES - len(found.keys)]]
            self.ahead = found
        since = self.changed_since
        if since is not None and top >= since:
            self.changed_keys.update(self._key_of(batch[i]) for i, m in enumerate(marks)
                                     if m is not None and m >= since)

    def _clamp(self):
        """The watermark kept is at most the HIS's clock (to the second)."""
        limit = self._limit
        if limit is not None and limit.beyond(self.tracker.value, limit.exact):
            self.tracker.clamp(limit.kept)

    def tuples(self):
        for batch in self.batches():
            yield from batch

    def __iter__(self):
        columns = self.columns
        for batch in self.batches():
            for row in batch:
                yield dict(zip(columns, row))

    def _check_columns(self, names: list[str]):
        missing = [c for c in self.entity.columns if c not in names]
        if missing:
            raise MissingColumns(self.entity.name, missing)
        if self.spec.watermark and self.spec.watermark.lower() not in names:
            raise MissingWatermark(self.entity.name, self.spec.watermark.lower())


def _whole_number(value) -> int | None:
    """A HIS number as an int: whole numbers of any numeric type, digits in text (a card number
    kept as zero-padded text); NULL (nothing issued yet) is 0. None when it is no such number."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text.isascii() and text.isdigit() else None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number == value and number >= 0 else None


def _earlier(value, lookback: datetime.timedelta):
    """A date/time watermark value `lookback` earlier (text in its own form); others as they are."""
    if not lookback:
        return value
    if isinstance(value, datetime.datetime):
        return value - lookback
    if isinstance(value, datetime.date):
        return value - datetime.timedelta(days=lookback.days)
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            return value
        if len(text) == 10:
            return (parsed.date() - datetime.timedelta(days=lookback.days)).isoformat()
        return (parsed - lookback).isoformat(sep="T" if "T" in text else " ")
    return value


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


def _first_line(error) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def check_columns(mapping: Mapping) -> list[tuple[tuple, str]]:
    """(field path, reason) for each query that fails or does not yield its canonical columns, and
    each sequence query that fails or yields no whole number."""
    source = HisSource(mapping)
    found = []
    with source.snapshot() as snap:
        for name, spec in mapping.entities.items():
            try:
                with snap.connection.begin_nested():  # a failing query must not end the transaction
                    columns = source.columns(name, snap.connection)
            except HisError as exc:
                found.append((("entities", name, "query"), str(exc)))
                continue
            missing = [c for c in ENTITIES[name].columns if c not in columns]
            if missing:
                found.append((("entities", name, "query"), str(MissingColumns(name, missing))))
            if spec.watermark and spec.watermark.lower() not in columns:
                found.append((("entities", name, "query"), str(MissingWatermark(name, spec.watermark.lower()))))
        for kind in mapping.sequences:
            try:
                with snap.connection.begin_nested():
                    snap.number(kind)
            except HisError as exc:
                found.append((("sequences", kind, "query"), str(exc)))
    return found

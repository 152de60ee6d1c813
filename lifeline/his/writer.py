"""Merge-back: writing the emergency records into the HIS exactly once (SQLAlchemy Core, no ORM).

    writer = Writer(mapping.load("his.yaml"))      # connects as the reader does
    writer.ensure_ledger()                          # LIFELINE_MERGE_LEDGER, created if missing
    done = writer.applied(["e1", "e2"])             # journal event ids the HIS holds already
    writer.apply([Change("e1", "station-3", 17, [("charge", {...}), ("charge", {...})])])
    writer.lookup("patient_by_id_card", id_card_no="110105…")   # the mapping's merge_back_lookups

Exactly once: the ledger (LIFELINE_MERGE_LEDGER: event_id primary key, station, seq, applied_at,
records) lives in the HIS and `apply` writes one ledger row per change in the SAME transaction as
the change's records. A change whose event id is in the ledger is skipped, so a batch applied
twice, or killed anywhere and applied again, writes each event once: the transaction is there
whole or not at all. The ledger rows are inserted FIRST: a second writer applying the same
event at the same time waits on the first one's uncommitted primary key, then fails on it (or
proceeds when the first rolled back); `apply` then retries its batch without the events the
ledger now holds. A deadlock between two writers is retried the same way.

Records are checked and normalised against the canonical record (lifeline.his.canonical.RECORDS)
before the HIS is touched, then written kind by kind in RECORDS order (new patients before their
registrations and charges, prescriptions before dispensing), each kind in batch order: statements
mode runs each statement once per batch for all its records, the record's fields as binds (an
executemany or multi-row VALUES, see _Statement); staging-table mode inserts the records into
the staging table, which the HIS's own job picks up. Times with a zone go in as local wall-clock
time (_wall_clock).
A statement the HIS refuses rolls the whole batch back and raises MergeRefused naming the
record, its event id and the HIS's message.

Databases: PostgreSQL, MariaDB/MySQL and SQLite are tested; Oracle and SQL Server are spoken
through SQLAlchemy as the reader speaks them, untested.
"""
import dataclasses
import datetime
import decimal
import itertools
import re
from collections.abc import Iterable
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from lifeline.core import databases
from lifeline.core.databases import PasswordUnavailable
from lifeline.his.canonical import LOOKUPS, RECORDS, InvalidRow, InvalidValue
from lifeline.his.mapping import Mapping
from lifeline.his.wording import gettext as _

LEDGER_NAME = "LIFELINE_MERGE_LEDGER"
ledger_metadata = sa.MetaData()
LEDGER = sa.Table(
    LEDGER_NAME, ledger_metadata,
    sa.Column("event_id", sa.String(80), primary_key=True),
    sa.Column("station", sa.String(80), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
    sa.Column("records", sa.Integer, nullable=False),  # HIS records the event wrote
    sa.Index("IX_LIFELINE_MERGE_LEDGER_STATION", "station", "seq"),  # a batch's stations' ranges (_held)
    mysql_charset="utf8mb4", mariadb_charset="utf8mb4")
# Event ids per IN (…) when asking the ledger (well under every database's bind limit).
CHUNK = 500
# A batch raced by another writer is retried at most this many times.
RETRIES = 5
# Deadlock / serialization failure: PostgreSQL 40P01 and 40001, MySQL/MariaDB 1213.
_RACE_CODES = {"40P01", "40001", 1213}
# Records per multi-row INSERT (see _Statement), and the parameters one may hold where the driver
# sends an executemany row by row (SQL Server takes at most 2100).
ROWS = 500
_ROW_BY_ROW = {"mysql": 30_000, "mariadb": 30_000, "mssql": 2000}
_VALUES = re.compile(r"\bVALUES\s*\(", re.IGNORECASE)
_PYFORMAT = re.compile(r"%\((\w+)\)s")
_SQLITE_TEXT = {decimal.Decimal: str, datetime.date: datetime.date.isoformat,
                datetime.datetime: lambda value: value.isoformat(sep=" ")}


class MergeRefused(Exception):
    """The HIS refused a batch (rolled back whole) or a record is not a valid canonical record;
    `record` is the record kind, `event_id` the record's event id, `reason` the HIS's message."""

    def __init__(self, reason: str, record: str | None = None, event_id: str | None = None):
        where = " ".join(part for part in (record, event_id) if part)
        super().__init__(f"{where}: {reason}" if where else reason)
        self.record, self.event_id, self.reason = record, event_id, reason


class LookupUnavailable(MergeRefused):
    """The mapping has no query for this lookup (the check it serves cannot be made)."""


@dataclasses.dataclass(frozen=True)
class Change:
    """One journal event and the canonical records it gives: (record kind, fields)."""
    event_id: str
    station: str
    seq: int
    records: list[tuple[str, dict]]


class _Raced(Exception):
    """Another writer applied (or is applying) some of the batch: retry it."""


class _Failed(Exception):
    """The HIS refused a statement of the batch (rolled back): run it again carefully to name the record."""


class Writer:
    def __init__(self, mapping: Mapping):
        self.mapping = mapping
        connection = mapping.merge_back_connection or mapping.connection
        try:
            url = connection.sqlalchemy_url()
            self.engine = databases.engine(url, connection.connect_timeout, connection.query_timeout, pooled=True)
            self.timeout = connection.query_timeout
        except (PasswordUnavailable, databases.MissingDatabaseFile) as exc:
            raise MergeRefused(_("the HIS cannot be reached: %(reason)s") % {"reason": exc}) from None
        if self.engine.dialect.name == "sqlite":
            databases.sqlite_transactions(self.engine, "BEGIN IMMEDIATE")
        self._statements = {name: [_Statement(sql, self.engine.dialect) for sql in spec.statements or []]
                            for name, spec in mapping.merge_back.items()}

    def ensure_ledger(self):
        """Create LIFELINE_MERGE_LEDGER in the HIS unless it is there."""
        try:
            with self._begin() as connection:
                ledger_metadata.create_all(connection, checkfirst=True)
        except DBAPIError as exc:  # another writer created it meanwhile: fine
            if not sa.inspect(self.engine).has_table(LEDGER_NAME):
                raise MergeRefused(_("the HIS refused the merge ledger: %(reason)s") % {
                    "reason": _first_line(exc.orig)}) from None

    def applied(self, event_ids: Iterable[str]) -> set[str]:
        """The journal event ids among `event_ids` that the ledger holds (applied before)."""
        with self._begin() as connection:
            return self._held(connection, list(event_ids))

    def apply(self, batch: list[Change]) -> list[str]:
        """Write the batch's changes not yet in the ledger, each with its ledger row, in one HIS
        transaction; returns their event ids (in batch order). MergeRefused rolls it all back."""
        changes = list({change.event_id: change for change in batch}.values())  # a change given twice: once
        rows = self._checked(changes)
        careful = False
        for attempt in range(RETRIES):
            try:
                return self._apply_once(changes, rows, by_range=attempt == 0, careful=careful)
            except _Raced:
                continue
            except _Failed:  # again with a savepoint per statement, which finds and names the record
                careful = True
        raise MergeRefused(_("another writer kept applying the same events; run the merge again"))

    def lookup(self, name: str, /, **binds) -> list[dict]:
        """Rows of the mapping's merge_back_lookups.<name> query, checked against the lookup's
        columns (lifeline.his.canonical.LOOKUPS); LookupUnavailable when the mapping has none."""
        lookup = LOOKUPS.get(name)
        if lookup is None:
            raise LookupUnavailable(_("unknown lookup %(name)s") % {"name": name})
        spec = self.mapping.merge_back_lookups.get(name)
        if spec is None:
            raise LookupUnavailable(_("the mapping has no merge_back_lookups.%(name)s") % {"name": name})
        if set(binds) != set(lookup.binds):
            raise TypeError(f"lookup {name} takes {', '.join(lookup.binds)}, got {', '.join(sorted(binds))}")
        with self._begin() as connection:
            try:
                result = connection.execute(sa.text(spec.query), self._bindable(binds))
            except DBAPIError as exc:
                raise MergeRefused(_("the HIS refused the lookup: %(reason)s") % {"reason": _first_line(exc.orig)},
                                   name) from None
            found = [{key.lower(): value for key, value in row.items()} for row in result.mappings()]
        rows = []
        for row in found:
            missing = [f.name for f in lookup.columns if f.name not in row]
            if missing:
                raise MergeRefused(_("the lookup's query yields no column %(columns)s") % {
                    "columns": ", ".join(missing)}, name)
            try:
                rows.append({f.name: f.clean(row[f.name]) for f in lookup.columns})
            except InvalidValue as exc:
                raise MergeRefused(str(exc), name) from None
        return rows

    def dispose(self):
        self.engine.dispose()

    # -- inside ---------------------------------------------------------------------------------

    @contextmanager
    def _begin(self):
        """A transaction on the writer's connection (kept between batches); unreachable → MergeRefused."""
        try:
            connection = self.engine.connect()
        except DBAPIError as exc:
            raise MergeRefused(_("the HIS cannot be reached: %(reason)s") % {"reason": _first_line(exc.orig)}) \
                from None
        with connection, connection.begin():
            yield connection

    def _held(self, connection, event_ids: list[str]) -> set[str]:
        held = set()
        for start in range(0, len(event_ids), CHUNK):
            chunk = event_ids[start:start + CHUNK]
            held.update(connection.execute(sa.select(LEDGER.c.event_id).where(LEDGER.c.event_id.in_(chunk)))
                        .scalars())
        return held

    def _held_in_ranges(self, connection, changes: list[Change]) -> set[str]:
        """The ledger's ids among the changes, asked by each station's range of sequence numbers
        (one indexed query, where asking by id would send every id). An event held under another
        station or number is not found here: its ledger insert fails, and the retry asks by id."""
        ranges = {}
        for change in changes:
            low, high = ranges.get(change.station, (change.seq, change.seq))
            ranges[change.station] = (min(low, change.seq), max(high, change.seq))
        held = connection.execute(sa.select(LEDGER.c.event_id).where(sa.or_(*(
            sa.and_(LEDGER.c.station == station, LEDGER.c.seq.between(low, high))
            for station, (low, high) in ranges.items())))).scalars()
        return set(held) & {change.event_id for change in changes}

    def _checked(self, changes: list[Change]) -> dict[str, list[tuple[str, dict]]]:
        """Per event id its records, cleaned as canonical records; MergeRefused for the first bad one
        (nothing is written) or a kind the mapping does not write back."""
        cleaned = {}
        for change in changes:
            records = []
            for kind, record in change.records:
                event_id = record.get("event_id") or change.event_id
                if kind not in RECORDS:
                    raise MergeRefused(_("unknown emergency record kind"), kind, event_id)
                if kind not in self.mapping.merge_back:
                    raise MergeRefused(_("the mapping has no merge_back section for this record"), kind, event_id)
                try:
                    records.append((kind, _wall_clock(RECORDS[kind].clean(record))))
                except InvalidRow as exc:
                    reason = "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
                    raise MergeRefused(reason, kind, event_id) from None
            cleaned[change.event_id] = records
        return cleaned

    def _apply_once(self, changes: list[Change], rows: dict[str, list[tuple[str, dict]]], by_range: bool,
                    careful: bool) -> list[str]:
        """One transaction: the ledger rows first, then the records. `careful` wraps each statement
        in a savepoint, so that a refusal can be looked into record by record (MergeRefused);
        otherwise a refusal is _Failed, and the transaction is rolled back."""
        with self._begin() as connection:
            databases.limit_statement_time(connection, self.timeout)
            ids = [change.event_id for change in changes]
            held = self._held_in_ranges(connection, changes) if by_range else self._held(connection, ids)
            todo = [change for change in changes if change.event_id not in held]
            if not todo:
                return []
            try:
                connection.execute(LEDGER.insert(), [
                    {"event_id": c.event_id, "station": c.station, "seq": c.seq, "records": len(rows[c.event_id])}
                    for c in sorted(todo, key=lambda c: c.event_id)])  # one order: fewer deadlocks
            except DBAPIError as exc:
                if isinstance(exc, IntegrityError) or _code(exc) in _RACE_CODES:
                    raise _Raced() from None
                raise MergeRefused(_("the HIS refused the merge ledger: %(reason)s") % {
                    "reason": _first_line(exc.orig)}) from None
            records = [(kind, self._bindable(fields)) for change in todo for kind, fields in rows[change.event_id]]
            order = {kind: i for i, kind in enumerate(RECORDS)}
            for kind, group in itertools.groupby(sorted(records, key=lambda r: order[r[0]]), key=lambda r: r[0]):
                self._write(connection, kind, [fields for _kind, fields in group], careful)
        return [change.event_id for change in todo]

    def _bindable(self, fields: dict) -> dict:
        """SQLite's driver binds no Decimal, and only deprecated adapters for dates: give it text
        (a NUMERIC or DATE column of SQLite stores the text as the number or date it spells)."""
        if self.engine.dialect.name != "sqlite":
            return fields
        return {name: _SQLITE_TEXT[type(value)](value) if type(value) in _SQLITE_TEXT else value
                for name, value in fields.items()}

    def _write(self, connection, kind: str, records: list[dict], careful: bool):
        """Every record of one kind: through each statement (a few round trips for all of them), or
        into the staging table."""
        spec = self.mapping.merge_back[kind]
        if spec.staging_table:
            table = sa.table(spec.staging_table, *(sa.column(c) for c in spec.columns.values()))
            statements = [_Statement(table.insert(), self.engine.dialect)]
            binds = [{column: record[field] for field, column in spec.columns.items()} for record in records]
        else:
            statements, binds = self._statements[kind], records
        for statement in statements:
            try:
                if careful:
                    with connection.begin_nested():
                        statement.run(connection, binds)
                else:
                    statement.run(connection, binds)
            except DBAPIError as exc:
                if _code(exc) in _RACE_CODES:
                    raise _Raced() from None
                if exc.connection_invalidated:  # no record's fault
                    raise MergeRefused(_("lost the HIS: %(reason)s") % {"reason": _first_line(exc.orig)}) from None
                if not careful:
                    raise _Failed() from None
                raise self._refusal(connection, kind, statement, records, binds, exc) from None

    def _refusal(self, connection, kind: str, statement: "_Statement", records: list[dict], binds: list[dict],
                 error: DBAPIError) -> MergeRefused:
        """The record the HIS refuses, found by running the statement for one record at a time (in
        savepoints: the batch is rolled back all the same)."""
        for record, bound in zip(records, binds):
            try:
                with connection.begin_nested():
                    statement.run_one(connection, bound)
            except DBAPIError as exc:
                return MergeRefused(_("the HIS refused it: %(reason)s") % {"reason": _first_line(exc.orig)}, kind,
                                    record["event_id"])
        return MergeRefused(_("the HIS refused it: %(reason)s") % {"reason": _first_line(error.orig)}, kind)


class _Statement:
    """A merge-back statement run for many records, compiled once to the driver's own SQL and sent
    without SQLAlchemy's per-row work: an executemany (psycopg pipelines it, SQLite runs it in
    process, Oracle binds arrays), except where the driver would send that row by row (PyMySQL
    when the VALUES hold more than bare parameters, pymssql always): there a statement ending in
    `VALUES (…)` goes as `VALUES (…), (…), …` for up to ROWS records, its parameters renamed per
    row (%(card_no)s of the third row is %(card_no__2)s), as SQLAlchemy does for its own inserts.
    A Core insert (the staging table) is left to SQLAlchemy, which batches it itself."""

    def __init__(self, statement, dialect):
        self.core = None if isinstance(statement, str) else statement
        self.row = None
        if self.core is not None:
            return
        compiled = sa.text(statement).compile(dialect=dialect)
        self.sql = compiled.string
        self.positions = compiled.positiontup if dialect.positional else None
        self.names = list(dict.fromkeys(self.positions or compiled.binds))
        if dialect.name in _ROW_BY_ROW:
            self.head, self.row = _values_split(self.sql) or (None, None)
        if self.row:
            names = sorted(set(_PYFORMAT.findall(self.row)))
            self.rows = max(1, min(ROWS, _ROW_BY_ROW[dialect.name] // max(1, len(names))))
            self._sql = {}

    def run(self, connection, records: list[dict]):
        if self.core is not None:
            connection.execute(self.core, records)
        elif self.row:
            for start in range(0, len(records), self.rows):
                chunk = records[start:start + self.rows]
                connection.exec_driver_sql(self._rows_sql(len(chunk)), {
                    f"{name}__{i}": record[name] for i, record in enumerate(chunk) for name in self.names})
        else:
            connection.exec_driver_sql(self.sql, [self._params(record) for record in records])

    def run_one(self, connection, record: dict):
        if self.core is not None:
            connection.execute(self.core, record)
        else:
            connection.exec_driver_sql(self.sql, self._params(record))

    def _params(self, record: dict):
        if self.positions is not None:
            return tuple(record[name] for name in self.positions)
        return {name: record[name] for name in self.names}

    def _rows_sql(self, count: int) -> str:
        if count not in self._sql:
            self._sql[count] = self.head + ", ".join(
                _PYFORMAT.sub(lambda m, i=i: f"%({m.group(1)}__{i})s", self.row) for i in range(count))
        return self._sql[count]


def _values_split(sql: str) -> tuple[str, str] | None:
    """(everything up to VALUES and the blank after it, the parenthesised row) when the statement
    ends in `VALUES (…)` (quotes and nested parentheses respected), else None."""
    matches = list(_VALUES.finditer(sql))
    if not matches:
        return None
    start = matches[-1].end() - 1  # the row's opening parenthesis
    depth, quoted = 0, False
    for i in range(start, len(sql)):
        char = sql[i]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0:
                return (sql[:start], sql[start:i + 1]) if not sql[i + 1:].strip().rstrip(";").strip() else None
    return None


def _wall_clock(fields: dict) -> dict:
    """A time with a zone (a workstation's journal keeps UTC) as the local wall-clock time of the
    process merging (the Lifeline server's TIME_ZONE, the hospital's): a HIS stamps its rows with
    local time in columns without a zone, and drivers would store an aware time each their own way."""
    for name, value in fields.items():
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            fields[name] = value.astimezone().replace(tzinfo=None)
    return fields


def _code(error: DBAPIError):
    orig = error.orig
    return getattr(orig, "sqlstate", None) or (orig.args[0] if getattr(orig, "args", None) else None)


def _first_line(error) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

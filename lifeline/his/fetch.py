"""Rows of one statement, in batches of plain tuples, in bounded memory.

PostgreSQL through psycopg with libpq 17 or later: the rows stream from the server in chunks
(libpq's chunked-rows mode), gathered by a helper thread one batch ahead of the reader, so
the HIS computes and sends while Lifeline checks (psycopg waits for the network without the
GIL); or, for a reader that often lets the GIL go (a package build, writing SQLite), as the
reader asks. Every other database, and older libpq: SQLAlchemy's streamed result (server-side cursors
where the driver has them), one FETCH per batch. The query timeout counts per batch: the
database's statement timeout limits each FETCH; on a PostgreSQL stream a watchdog cancels the
query when a batch takes longer; on SQLite, which has no timeout, a progress handler does.
"""
import queue
import threading
import time
from contextlib import contextmanager
from itertools import islice

import psycopg
import sqlalchemy as sa


@contextmanager
def batches(connection: sa.Connection, statement, size: int, timeout: int, ahead: bool = True):
    """(lower-case column names, iterator of lists of row tuples). `ahead`: on a PostgreSQL
    stream, fetch the next batch in a thread while the caller works on one."""
    if connection.dialect.driver == "psycopg" and psycopg.pq.version() >= 170000:
        with _psycopg_stream(connection, statement, size, timeout, ahead) as found:
            yield found
        return
    with _deadline(connection, timeout) as restart:
        # options for this statement only: Connection.execution_options() would change the snapshot's connection
        result = connection.execute(statement, execution_options={"stream_results": True, "yield_per": size})
        try:
            def fetch():
                while True:
                    restart()
                    batch = result.fetchmany(size)
                    if not batch:
                        return
                    yield batch

            yield [c.lower() for c in result.keys()], fetch()
        finally:
            if not connection.invalidated:  # closing the cursor of a lost connection only fails
                result.close()


@contextmanager
def _psycopg_stream(connection: sa.Connection, statement, size: int, timeout: int, ahead: bool = True):
    """The stream runs inside a savepoint, rolled back afterwards: a stream left early is
    cancelled, which would otherwise abort the snapshot's transaction. The savepoint also ends
    the statement_timeout = 0 that lets the watchdog, not the whole statement's time, decide."""
    raw = connection.connection.driver_connection
    compiled = statement.compile(dialect=connection.dialect)
    sql, params = str(compiled), compiled.params
    cursor, rows, fetcher = raw.cursor(), None, None

    def fetch():
        watchdog.deadline = time.monotonic() + timeout
        try:
            return list(islice(rows, size))
        finally:
            watchdog.deadline = None

    with _as_sqlalchemy_errors(connection, raw):
        raw.execute("SAVEPOINT lifeline_stream")  # on the driver: SQLAlchemy may be set to stream this one
    watchdog = _Watchdog(timeout, raw.cancel_safe)
    try:
        with _as_sqlalchemy_errors(connection, raw):
            cursor.execute("SET LOCAL statement_timeout = 0")
            rows = cursor.stream(sql, params, size=size)
            first = fetch()
            if cursor.description is None:  # no rows, and so no description: ask for it
                cursor.execute(sql, params)
            names = [c.name.lower() for c in cursor.description]
        fetcher = (_Ahead if ahead else _Inline)(fetch, first)
        yield names, _raising_as_sqlalchemy(connection, raw, fetcher)
    finally:
        if fetcher is not None:
            fetcher.close()
        watchdog.close()
        if rows is not None:
            rows.close()  # cancels the query if rows are left
        if not (raw.closed or raw.broken):
            with _as_sqlalchemy_errors(connection, raw):
                raw.execute("ROLLBACK TO SAVEPOINT lifeline_stream")
                raw.execute("RELEASE SAVEPOINT lifeline_stream")


class _Watchdog:
    """Calls `cancel` once `deadline` (time.monotonic()) has passed: one thread for the whole
    read, waking a few times per timeout, rather than a timer per batch."""

    def __init__(self, seconds: int, cancel):
        self.deadline = None
        self._seconds, self._cancel = seconds, cancel
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lifeline-his-watchdog", daemon=True)
        self._thread.start()

    def _run(self):
        while not self._done.wait(min(1.0, self._seconds / 4)):
            deadline = self.deadline
            if deadline is not None and time.monotonic() > deadline:
                self.deadline = None
                self._cancel()

    def close(self):
        self._done.set()
        self._thread.join()


def _raising_as_sqlalchemy(connection, raw, batches):
    with _as_sqlalchemy_errors(connection, raw):
        yield from batches


@contextmanager
def _as_sqlalchemy_errors(connection: sa.Connection, raw):
    """Driver errors as SQLAlchemy wraps them (the adapter words those), and a lost connection
    invalidated so that ending the transaction does not try to use it."""
    dialect = connection.dialect
    try:
        yield
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, raw, None)
        if lost:
            connection.invalidate()
        raise sa.exc.DBAPIError.instance(None, None, exc, dialect.loaded_dbapi.Error,
                                         connection_invalidated=lost) from exc


class _Ahead:
    """Calls `fetch` in a thread until it returns an empty batch, at most two batches ahead of
    the reader (memory stays bounded); an error in the thread is raised to the reader."""

    DEPTH = 2

    def __init__(self, fetch, first: list):
        self._queue = queue.Queue(maxsize=self.DEPTH)
        self._queue.put(first)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(fetch,), name="lifeline-his-fetch", daemon=True)
        if first:
            self._thread.start()

    def _run(self, fetch):
        try:
            while not self._stop.is_set():
                batch = fetch()
                self._queue.put(batch)
                if not batch:
                    return
        except BaseException as exc:  # handed to the reader, who raises it
            self._queue.put(exc)

    def __iter__(self):
        while True:
            item = self._queue.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item

    def close(self):
        """Stop fetching and wait for the thread (it finishes at most its current FETCH): after
        the stop, it puts at most one more item, which the emptied queue has room for."""
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if self._thread.is_alive():
            self._thread.join()


class _Inline:
    """As _Ahead, fetching each batch when the reader asks for it. Rows still arrive while the
    reader works (the server sends on into the socket's buffers), and there is no thread to
    take the GIL each time the reader lets it go: a package build, which lets it go for every
    SQLite statement, was a fifth slower with _Ahead (GIL hand-overs)."""

    def __init__(self, fetch, first: list):
        self._fetch, self._first = fetch, first

    def __iter__(self):
        batch, self._first = self._first, None
        while batch:
            yield batch
            batch = self._fetch()

    def close(self):
        pass


@contextmanager
def _deadline(connection, seconds):
    """On SQLite (no server-side timeout), interrupt a statement that runs past `seconds`; the
    clock restarts before every batch, like PostgreSQL's statement_timeout on each FETCH."""
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

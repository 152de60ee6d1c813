"""Connections to an outside database (the HIS, a SQL probe's target) on every backend a
mapping allows, with bounded waits: a HIS that does not answer must fail the build or the
reading, not hang the worker.

    engine = databases.engine(url, connect_timeout=10, statement_timeout=600)
    with engine.connect() as connection:
        databases.limit_statement_time(connection, 600)   # in the transaction that reads

The drivers: psycopg (PostgreSQL), PyMySQL (MySQL/MariaDB), python-oracledb in thin mode
(Oracle, no Oracle client needed), pymssql (SQL Server: SQLAlchemy's default pyodbc needs
Microsoft's ODBC driver, which Debian does not ship), the standard library's sqlite3.

Where such a database is described in a file or in settings (the HIS mapping's `connection:`,
an SQL probe's), `Connection` checks the description: a SQLAlchemy URL without password, and
where the password comes from (an environment variable or a secrets file), read only when
connecting (PasswordUnavailable when it cannot be).
"""
import os
from pathlib import Path

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

BACKENDS = ("postgresql", "mysql", "mariadb", "mssql", "oracle", "sqlite")
# A URL that names no driver gets the one Lifeline installs.
DEFAULT_DRIVERS = {"mssql": "mssql+pymssql", "mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}
# Other spellings of a backend's name: `postgres://` is what Heroku, psql and Lifeline's own
# LIFELINE_DATABASE_URL accept; SQLAlchemy knows only `postgresql`.
ALIASES = {"postgres": "postgresql"}
# The pydantic error type of a URL that holds a password: each linter words it for its own file.
PASSWORD_IN_URL = "password_in_url"


def password_reason(place: str) -> str:
    """Why a password in `place` ("the mapping file", "a probe's settings") is refused, and what to do."""
    return (f"a password never goes into {place}: name an environment variable "
            "(connection.password_env) or a secrets file (connection.password_file)")


class PasswordUnavailable(Exception):
    """The password source a connection names cannot be read."""


class Connection(BaseModel):
    """How to reach an outside database, without its password."""

    model_config = ConfigDict(extra="forbid")

    url: str
    password_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    password_file: str | None = None
    connect_timeout: int = Field(10, gt=0, description="seconds to reach the database")
    query_timeout: int = Field(600, gt=0, description="seconds the database may take for one query "
                               "(for the HIS adapter: one batch of rows)")

    @field_validator("url")
    @classmethod
    def url_without_password(cls, value: str) -> str:
        try:
            url = canonical_url(make_url(value))
        except ArgumentError:
            raise ValueError(f"{value!r} is not a SQLAlchemy URL (dialect+driver://user@host:port/database)") \
                from None
        if url.password is not None:
            raise PydanticCustomError(PASSWORD_IN_URL, password_reason("the connection settings"))
        if url.get_backend_name() not in BACKENDS:
            raise ValueError(f"unsupported database {url.get_backend_name()!r}; use one of {', '.join(BACKENDS)}")
        return value

    def sqlalchemy_url(self) -> URL:
        """The URL with the password from its source (PasswordUnavailable if that cannot be read)."""
        url = canonical_url(make_url(self.url))
        return url.set(password=self.password()) if self.password_env or self.password_file else url

    def password(self) -> str:
        if self.password_env:
            if self.password_env not in os.environ:
                raise PasswordUnavailable(f"environment variable {self.password_env} "
                                          f"(connection.password_env) is not set")
            return os.environ[self.password_env]
        try:
            return Path(self.password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise PasswordUnavailable(f"cannot read the secrets file {self.password_file} "
                                      f"(connection.password_file): {exc.strerror}") from None


class MissingDatabaseFile(Exception):
    """A SQLite URL names a file that does not exist (SQLite would create an empty one)."""


def canonical_url(url: URL) -> URL:
    """The URL with the backend's name SQLAlchemy knows (`postgres://` and `postgres+psycopg://`
    become `postgresql…`)."""
    backend, plus, driver = url.drivername.partition("+")
    return url.set(drivername=ALIASES[backend] + plus + driver) if backend in ALIASES else url


def with_driver(url: URL) -> URL:
    url = canonical_url(url)
    return url.set(drivername=DEFAULT_DRIVERS[url.drivername]) if url.drivername in DEFAULT_DRIVERS else url


def engine(url: URL, connect_timeout: int, statement_timeout: int, pooled: bool = False) -> sa.Engine:
    """An engine without a pool (each read or reading is one connection) whose connections give
    up after connect_timeout seconds; where the driver, not SQL, limits a statement (Oracle,
    SQL Server), each round trip is limited to statement_timeout seconds. `pooled`: keeps one
    connection for the next use (many short transactions, as merge-back's batches), checked
    before reuse."""
    url = with_driver(url)
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database not in (None, "", ":memory:") and not Path(url.database).is_file():
        raise MissingDatabaseFile(url.database)
    connect_args = {
        "postgresql": {"connect_timeout": connect_timeout},
        "mysql": {"connect_timeout": connect_timeout},
        "mariadb": {"connect_timeout": connect_timeout},
        "sqlite": {"timeout": connect_timeout},
        "oracle": {"tcp_connect_timeout": connect_timeout},
        "mssql": {"login_timeout": connect_timeout, "timeout": statement_timeout},
    }[backend]
    pool = {"pool_size": 1, "max_overflow": 4, "pool_pre_ping": True} if pooled else {"poolclass": NullPool}
    made = sa.create_engine(url, connect_args=connect_args, **pool)
    if backend == "oracle":
        @event.listens_for(made, "connect")
        def _call_timeout(dbapi_connection, record):
            dbapi_connection.call_timeout = statement_timeout * 1000
    return made


def limit_statement_time(connection: sa.Connection, seconds: int):
    """Limits each statement of the connection's current transaction (or session) to seconds,
    where the database does it in SQL."""
    dialect = connection.dialect
    if dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {seconds * 1000}")
    elif getattr(dialect, "is_mariadb", False):
        connection.exec_driver_sql(f"SET SESSION max_statement_time = {seconds}")
    elif dialect.name == "mysql":
        connection.exec_driver_sql(f"SET SESSION max_execution_time = {seconds * 1000}")


def sqlite_transactions(engine: sa.Engine, begin: str = "BEGIN"):
    """pysqlite begins a transaction only before a write, and lets a SAVEPOINT begin none; make
    every transaction of `engine` begin with `begin` ("BEGIN IMMEDIATE" takes the write lock at
    once, so two writers queue instead of one failing when both upgrade a read lock)."""

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection, record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql(begin)

"""Connections to an outside database (the HIS, a SQL probe's target) on every backend a
mapping allows, with bounded waits: a HIS that does not answer must fail the build or the
reading, not hang the worker.

    engine = databases.engine(url, connect_timeout=10, statement_timeout=600)
    with engine.connect() as connection:
        databases.limit_statement_time(connection, 600)   # in the transaction that reads

The drivers: psycopg (PostgreSQL), PyMySQL (MySQL/MariaDB), python-oracledb in thin mode
(Oracle, no Oracle client needed), pymssql (SQL Server: SQLAlchemy's default pyodbc needs
Microsoft's ODBC driver, which Debian does not ship), the standard library's sqlite3.
"""
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

# A URL that names no driver gets the one Lifeline installs.
DEFAULT_DRIVERS = {"mssql": "mssql+pymssql", "mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}


class MissingDatabaseFile(Exception):
    """A SQLite URL names a file that does not exist (SQLite would create an empty one)."""


def with_driver(url: URL) -> URL:
    return url.set(drivername=DEFAULT_DRIVERS[url.drivername]) if url.drivername in DEFAULT_DRIVERS else url


def engine(url: URL, connect_timeout: int, statement_timeout: int) -> sa.Engine:
    """An engine without a pool (each read or reading is one connection) whose connections give
    up after connect_timeout seconds; where the driver, not SQL, limits a statement (Oracle,
    SQL Server), each round trip is limited to statement_timeout seconds."""
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
    made = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
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

"""Databases on the real PostgreSQL at 127.0.0.1:5432 (user postgres, trust) for restore tests:
fail under CI=true when it is unreachable, skip saying why otherwise."""
import os
import secrets

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/{}"


def admin() -> sa.Engine:
    return sa.create_engine(SERVER.format("postgres"), isolation_level="AUTOCOMMIT",
                            connect_args={"connect_timeout": 3})


def reachable():
    engine = admin()
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        message = f"PostgreSQL at 127.0.0.1:5432 is unreachable: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: restore tests never skip)")
        pytest.skip(f"SKIPPED the restore tests: {message}")
    finally:
        engine.dispose()


def new_name(what: str) -> str:
    return f"lifeline_backups_{what}_{secrets.token_hex(4)}"


def drop(name: str):
    engine = admin()
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


def create(name: str) -> str:
    engine = admin()
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return SERVER.format(name)

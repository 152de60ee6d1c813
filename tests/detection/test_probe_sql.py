"""SQL probes against real SQLite, PostgreSQL and MariaDB: a number and its threshold, the
password from an environment variable or a secrets file, and failures said plainly."""
import os
import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from lifeline.core import clock
from lifeline.detection.probes import checks
from tests.detection.probe_servers import make_probe

pytestmark = pytest.mark.django_db
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MARIADB = "mysql+pymysql://root@127.0.0.1:3306/mysql"


def reachable(url: str):
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        engine.connect().close()
    except OperationalError as exc:
        message = f"{engine.url.host}:{engine.url.port} is unreachable: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: the SQL probe tests must run on every engine)")
        pytest.skip(f"SKIPPED: {message}")
    finally:
        engine.dispose()


def sql_probe(name, url, query, **fields):
    connection = {"url": url, **fields.pop("connection", {})}
    return make_probe(name, kind="sql", config={"connection": connection, "query": query}, **fields)


def test_sqlite_tablespace_free_percent_against_threshold(tmp_path):
    path = tmp_path / "his.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tablespace (name TEXT, free_pct REAL)")
        db.execute("INSERT INTO tablespace VALUES ('USERS', 35.5)")
    probe = sql_probe("表空间", f"sqlite:///{path}", "SELECT free_pct FROM tablespace WHERE name = 'USERS'",
                      threshold_op="<", threshold_value=10)
    reading = checks.check(probe, clock.now())
    assert (reading.ok, reading.value) == (True, 35.5)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE tablespace SET free_pct = 4")
    reading = checks.check(probe, clock.now())
    assert (reading.ok, reading.value, reading.error) == (False, 4, "数值 4 < 10")

    missing = sql_probe("b", f"sqlite:///{tmp_path}/gone.db", "SELECT 1")
    assert checks.check(missing, clock.now()).error == f"数据库文件 {tmp_path}/gone.db 不存在"
    assert not (tmp_path / "gone.db").exists()
    wrong = checks.check(sql_probe("c", f"sqlite:///{path}", "SELECT free FROM tablespace"), clock.now())
    assert not wrong.ok and "no such column: free" in wrong.error
    empty = checks.check(sql_probe("d", f"sqlite:///{path}", "SELECT free_pct FROM tablespace WHERE 0"),
                         clock.now())
    assert empty.error == "查询没有返回任何行"


def test_postgresql_replication_lag_with_password_from_environment(monkeypatch):
    reachable(POSTGRES)
    lag = ("SELECT COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) "
           "FROM pg_stat_activity LIMIT 1")
    probe = sql_probe("复制延迟", POSTGRES, lag, threshold_op=">", threshold_value=30,
                      connection={"password_env": "PROBE_PG_PASSWORD"})
    unset = checks.check(probe, clock.now())
    assert unset.error == "environment variable PROBE_PG_PASSWORD (connection.password_env) is not set"
    monkeypatch.setenv("PROBE_PG_PASSWORD", "trusted-anyway")
    reading = checks.check(probe, clock.now())
    assert (reading.ok, reading.value) == (True, 0)  # a primary replays nothing: no lag

    sessions = sql_probe("会话数", POSTGRES, "SELECT count(*) FROM pg_stat_activity",
                         threshold_op=">=", threshold_value=1)
    busy = checks.check(sessions, clock.now())
    assert not busy.ok and busy.value >= 1 and busy.error.startswith("数值 ")


def test_mariadb_number_and_password_file(tmp_path):
    reachable(MARIADB)
    probe = sql_probe("最大连接数", MARIADB, "SELECT @@max_connections", threshold_op="<", threshold_value=10)
    reading = checks.check(probe, clock.now())
    assert reading.ok and reading.value >= 10
    secret = tmp_path / "password"
    secret.write_text("not-the-password\n")
    denied = checks.check(sql_probe("b", MARIADB, "SELECT 1", connection={"password_file": str(secret)}),
                          clock.now())
    assert not denied.ok and "Access denied" in denied.error
    unreadable = checks.check(sql_probe("c", MARIADB, "SELECT 1",
                                        connection={"password_file": str(tmp_path / "none")}), clock.now())
    assert unreadable.error.startswith(f"cannot read the secrets file {tmp_path / 'none'} (connection.password_file)")


def test_unreachable_server_fails_within_the_timeout():
    probe = sql_probe("e", "postgresql+psycopg://postgres@127.0.0.1:1/postgres", "SELECT 1", timeout_seconds=2)
    reading = checks.check(probe, clock.now())
    assert not reading.ok and "127.0.0.1" in reading.error and reading.latency_ms < 3000


@pytest.mark.parametrize("url", ["oracle://monitor@127.0.0.1:1/?service_name=HIS", "mssql://monitor@127.0.0.1:1/HIS"])
def test_oracle_and_sql_server_probes_say_why_they_cannot_connect(url, monkeypatch):
    monkeypatch.setenv("MONITOR_PASSWORD", "secret")
    probe = sql_probe("o", url, "SELECT 1 FROM DUAL", timeout_seconds=2,
                      connection={"password_env": "MONITOR_PASSWORD"})
    reading = checks.check(probe, clock.now())
    assert not reading.ok and reading.latency_ms < 3000
    assert "cannot connect to database" in reading.error or "TDS server is unavailable" in reading.error

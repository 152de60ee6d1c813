"""Restore tests (恢复验证): a copy restored into a scratch database, timed and checked.

A run, in order; each failure ends it with the reason kept on the run:

1. Safety, before anything runs: the scratch URL must not name a production database — the
   Lifeline database itself or the HIS the snapshot mapping reads — compared by backend, host
   (localhost is 127.0.0.1), port (the backend's default when left out) and database name.
   Otherwise the run is refused naming the field (`target_url`), and nothing is touched.
2. The scratch database is dropped and created empty (PostgreSQL, MySQL/MariaDB; a SQLite file
   is removed), so what the checks find comes from this restore and not from an earlier one.
3. The command (an argv list, never a shell) runs with {backup} replaced by the copy's path and
   {target} by the scratch URL as libpq and the MySQL clients read it (no driver name). It runs
   in its own process group: at its timeout the whole group is killed and the run fails saying so.
4. The sanity queries run against the scratch database (one SELECT each, lifeline.core.sqlguard);
   each must give a value within its bounds. A query the database refuses fails the run with
   the database's own first line of error.

The time from 2 to the end of 4 is the achieved RTO. The copy is marked proven or failed.
"""
import os
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from lifeline.backups.models import MAX_OUTPUT_CHARS, BackupCopy, RestoreRun, RestoreTest, SanityQuery
from lifeline.core import clock, databases
from lifeline.core.errors import Refused

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433, "oracle": 1521}
LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", ""}
QUERY_TIMEOUT = 300
PLACEHOLDERS = ("{backup}", "{target}")


class RunFailed(Exception):
    """A step of the run failed: the reason people read, the output so far, the checks so far."""

    def __init__(self, reason: str, output: str = "", results: list | None = None):
        super().__init__(reason)
        self.reason, self.output, self.results = reason, output, results


# --- 1. safety -------------------------------------------------------------------------------

def identity(url: URL) -> tuple:
    """What makes two URLs the same database: backend family, host, port, database."""
    url = databases.canonical_url(url)
    backend = url.get_backend_name()
    family = "mysql" if backend == "mariadb" else backend
    if family == "sqlite":
        return family, "", 0, str(Path(url.database or "").resolve()) if url.database else ":memory:"
    host = (url.host or "").lower()
    host = "127.0.0.1" if host in LOCAL_NAMES else host
    return family, host, url.port or DEFAULT_PORTS.get(backend, 0), url.database or ""


def _lifeline_database() -> URL:
    db = settings.DATABASES["default"]
    backend = {"postgresql": "postgresql", "mysql": "mysql", "sqlite3": "sqlite"}.get(
        db["ENGINE"].rsplit(".", 1)[-1].replace("_psycopg2", ""), db["ENGINE"])
    if backend == "sqlite":
        return URL.create("sqlite", database=str(db["NAME"]))
    return URL.create(backend, host=db.get("HOST") or None, port=int(db["PORT"]) if db.get("PORT") else None,
                      database=db["NAME"])


def production_databases() -> list[tuple[str, URL]]:
    """Every database a restore must never touch, with a name people recognise."""
    found = [(_("the Lifeline database"), _lifeline_database())]
    if settings.SNAPSHOT_MAPPING:
        from lifeline.his import mapping

        try:
            found.append((_("the HIS database of the snapshot mapping"),
                          make_url(mapping.load(settings.SNAPSHOT_MAPPING).connection.url)))
        except mapping.MappingInvalid as broken:
            # Fail closed: a HIS that cannot be named cannot be told apart from the scratch target.
            raise Refused("target_url", _("the snapshot mapping cannot be read, so the scratch target cannot be "
                                          "checked against the HIS; fix the mapping first: %(why)s")
                          % {"why": broken}) from None
    return found


def check_target(target_url: str) -> URL:
    """The scratch URL, parsed; Refused naming `target_url` if it is not one or is a production database."""
    try:
        url = databases.canonical_url(make_url(target_url))
    except ArgumentError:
        raise Refused("target_url", _("not a database URL (backend://user@host:port/database)")) from None
    if url.get_backend_name() not in databases.BACKENDS:
        raise Refused("target_url", _("unsupported database %(name)s") % {"name": url.get_backend_name()})
    if not url.database:
        raise Refused("target_url", _("name the scratch database"))
    for label, production in production_databases():
        if identity(url) == identity(production):
            raise Refused("target_url", _("this is %(what)s: a restore test never writes to a production "
                                          "database; name a scratch database") % {"what": label})
    return url


def check_command(command) -> list[str]:
    if not isinstance(command, list) or not command or not all(isinstance(a, str) and a for a in command):
        raise Refused("command", _("give the command as a list of words, e.g. [\"pg_restore\", \"-d\", "
                                   "\"{target}\", \"{backup}\"]"))
    if not any("{backup}" in a for a in command):
        raise Refused("command", _("the command must name the copy it restores: {backup}"))
    return command


# --- 2-4. the run ----------------------------------------------------------------------------

def client_url(url: URL) -> str:
    """The scratch URL as command-line clients read it: no driver, no password in it."""
    backend = url.get_backend_name()
    return url.set(drivername="mysql" if backend == "mariadb" else backend).render_as_string(hide_password=False)


def fresh_target(url: URL):
    """Drop and create the scratch database empty (checked against production first)."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        Path(url.database).unlink(missing_ok=True)
        return
    if backend not in ("postgresql", "mysql", "mariadb"):
        return  # other servers: the command itself must start from an empty target
    server = url.set(database="postgres" if backend == "postgresql" else None)
    engine = databases.engine(server, connect_timeout=10, statement_timeout=QUERY_TIMEOUT)
    quote = engine.dialect.identifier_preparer.quote
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(url.database)}{force}")
            connection.exec_driver_sql(f"CREATE DATABASE {quote(url.database)}")
    except SQLAlchemyError as exc:
        raise RunFailed(_("could not prepare the scratch database: %(error)s") % {"error": _first_line(exc)}) \
            from None
    finally:
        engine.dispose()


def _first_line(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _tail(text: str) -> str:
    return text if len(text) <= MAX_OUTPUT_CHARS else "…" + text[-MAX_OUTPUT_CHARS:]


def run_command(argv: list[str], timeout: int) -> str:
    """Run it in its own process group; RunFailed on a non-zero exit or at the timeout (the group killed)."""
    try:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    except OSError as exc:
        raise RunFailed(_("could not start %(program)s: %(error)s") % {"program": argv[0], "error": exc.strerror}) \
            from None
    try:
        output, _unused = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _unused = process.communicate()
        raise RunFailed(_("the command did not finish within %(seconds)d s and was killed") % {"seconds": timeout},
                        output.decode(errors="replace")) from None
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise RunFailed(_("the command exited with status %(code)d") % {"code": process.returncode}, text)
    return text


def _as_time(value) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    # A HIS stamps rows in its server's local time: the hospital's zone.
    return value if timezone.is_aware(value) else timezone.make_aware(value, timezone.get_default_timezone())


def judge_query(query: SanityQuery, value, now: datetime) -> tuple[bool, str]:
    """Whether the value is within the query's bounds, and the value as people read it."""
    if query.expect == SanityQuery.Expect.RECENT:
        stamp = _as_time(value)
        if stamp is None:
            return False, _("%(value)r is not a date and time") % {"value": value}
        age_hours = (now - stamp).total_seconds() / 3600
        shown = timezone.localtime(stamp).strftime("%Y-%m-%d %H:%M")
        return age_hours <= (query.max_age_hours or 0), _("%(time)s (%(hours).1f h old)") % {
            "time": shown, "hours": age_hours}
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False, _("%(value)r is not a number") % {"value": value}
    ok = (query.minimum is None or number >= query.minimum) and (query.maximum is None or number <= query.maximum)
    return ok, f"{number:g}"


def run_queries(url: URL, queries: list[SanityQuery], now: datetime) -> list[dict]:
    """Each query's result; RunFailed (with the results so far) at the first that fails."""
    results = []
    engine = databases.engine(url, connect_timeout=10, statement_timeout=QUERY_TIMEOUT)
    try:
        with engine.connect() as connection:
            for query in queries:
                try:
                    with connection.begin():
                        databases.limit_statement_time(connection, QUERY_TIMEOUT)
                        value = connection.execute(sa.text(query.sql)).scalar()
                except SQLAlchemyError as exc:
                    results.append({"label": query.label, "ok": False, "value": _first_line(exc)})
                    raise RunFailed(_("sanity query %(label)s failed: %(error)s") % {
                        "label": query.label, "error": _first_line(exc)}, results=results) from None
                ok, shown = judge_query(query, value, now)
                results.append({"label": query.label, "ok": ok, "value": shown})
                if not ok:
                    raise RunFailed(_("sanity query %(label)s is out of bounds: %(value)s") % {
                        "label": query.label, "value": shown}, results=results)
    except SQLAlchemyError as exc:
        raise RunFailed(_("could not reach the scratch database: %(error)s") % {"error": _first_line(exc)},
                        results=results) from None
    finally:
        engine.dispose()
    return results


def newest_copy(test: RestoreTest) -> BackupCopy | None:
    return test.destination.copies.order_by("-modified_at").first()


def start(test: RestoreTest, trigger: str) -> RestoreRun:
    """Check the target and the copy, then record a running run (Refused changes nothing)."""
    url = check_target(test.target_url)
    check_command(test.command)
    copy = newest_copy(test)
    if copy is None:
        raise Refused("destination", _("no backup copy has been seen at %(where)s yet: scan it first") % {
            "where": test.destination.location})
    path = Path(test.destination.location) / copy.name
    run = RestoreRun.objects.create(test=test, copy=copy, backup_path=str(path), trigger=trigger[:100],
                                    started_at=clock.now())
    run.url = url
    return run


def execute(run: RestoreRun) -> RestoreRun:
    """Do the run started by `start`; the result, time and output are saved, the copy marked."""
    test, url = run.test, run.url
    argv = [a.replace("{backup}", run.backup_path).replace("{target}", client_url(url)) for a in test.command]
    began, output = time.monotonic(), ""
    try:
        fresh_target(url)
        output = run_command(argv, test.timeout_seconds)
        run.checks = run_queries(url, list(test.queries.all()), clock.now())
        run.status, run.reason = RestoreRun.Status.PASSED, ""
    except RunFailed as failed:
        run.status, run.reason = RestoreRun.Status.FAILED, failed.reason
        output = failed.output or output
        run.checks = failed.results if failed.results is not None else run.checks
    run.seconds = round(time.monotonic() - began, 3)
    run.output = _tail(output)
    with transaction.atomic():
        run.save()
        proof = BackupCopy.Proof.PROVEN if run.status == RestoreRun.Status.PASSED else BackupCopy.Proof.FAILED
        BackupCopy.objects.filter(pk=run.copy_id).update(proof=proof, proven_at=clock.now())
    return run


def run_test(test: RestoreTest, trigger: str) -> RestoreRun:
    return execute(start(test, trigger))

"""The checks: one reading of a probe (ok or why not, latency, the number it yields).

`check(probe, at)` runs the probe's kind and judges the threshold. A check never raises for
a failure of what it watches; the reading says it, in a sentence naming what failed.
"""
import socket
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from django.utils.translation import gettext as _
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from lifeline.core import databases
from lifeline.core.databases import PasswordUnavailable
from lifeline.detection.models import Probe
from lifeline.detection.probes import config, promql, services, synthetic, web
from lifeline.detection.probes.reading import Failed, Reading

ERROR_CHARS = 500


def check(probe: Probe, at: datetime) -> Reading:
    settings = config.parse(probe.kind, probe.config)
    started = time.monotonic()
    try:
        reading = KINDS[probe.kind](settings, probe, at)
    except promql.NoVerdictYet as waiting:
        return Reading(None, _ms_since(started), error=str(waiting)[:ERROR_CHARS])
    except (Failed, web.Unreachable, promql.EvaluationFailed) as failure:
        return Reading(False, _ms_since(started), error=str(failure)[:ERROR_CHARS])
    if reading.ok and reading.value is not None and probe.threshold_op and probe.threshold_value is not None:
        reading = judge(reading, probe.threshold_op, probe.threshold_value)
    return reading


def judge(reading: Reading, op: str, threshold: float) -> Reading:
    if promql.COMPARISONS[op](reading.value, threshold):
        reading.ok = False
        reading.error = _("value %(value)s %(op)s %(threshold)s") % {
            "value": f"{reading.value:g}", "op": op, "threshold": f"{threshold:g}"}
    return reading


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000


# --- HTTP(S) -------------------------------------------------------------------------------

def http(settings: config.Http, probe: Probe, at: datetime) -> Reading:
    client = web.Client(probe.timeout_seconds, settings.verify_tls)
    answer = client.request(settings.method, settings.url, settings.headers,
                            settings.body.encode() if settings.body else None)
    web.expect_status(answer.status, settings.expect_status)
    if settings.keyword and settings.keyword not in answer.text:
        raise Failed(_("the page does not contain %(keyword)r") % {"keyword": settings.keyword})
    value = None
    if settings.json_path:
        found = web.json_field(answer, settings.json_path)
        if settings.json_value is not None and web.as_text(found) != settings.json_value:
            raise Failed(_("%(path)s is %(found)r, expected %(expected)r") % {
                "path": settings.json_path, "found": web.as_text(found), "expected": settings.json_value})
        value = None if settings.json_value is not None else web.number(found, settings.json_path)
    if settings.max_latency_ms and answer.latency_ms > settings.max_latency_ms:
        raise Failed(_("answered in %(ms).0f ms, more than %(max)s ms") % {
            "ms": answer.latency_ms, "max": f"{settings.max_latency_ms:g}"})
    if settings.cert_days:
        expires = web.certificate_expires(settings.url, probe.timeout_seconds)
        if expires - at < timedelta(days=settings.cert_days):
            raise Failed(_("the certificate expires on %(date)s, within %(days)d days") % {
                "date": f"{expires:%Y-%m-%d}", "days": settings.cert_days})
    return Reading(True, answer.latency_ms, value)


# --- TCP -----------------------------------------------------------------------------------

def tcp(settings: config.Tcp, probe: Probe, at: datetime) -> Reading:
    started = time.monotonic()
    try:
        socket.create_connection((settings.host, settings.port), timeout=probe.timeout_seconds).close()
    except TimeoutError:
        raise Failed(f"{settings.host}:{settings.port}: {web.timed_out()}") from None
    except OSError as exc:
        raise Failed(f"{settings.host}:{settings.port}: {exc.strerror or exc}") from None
    return Reading(True, _ms_since(started))


# --- SQL -----------------------------------------------------------------------------------

def sql(settings: config.Sql, probe: Probe, at: datetime) -> Reading:
    try:
        engine = databases.engine(settings.connection.sqlalchemy_url(), probe.timeout_seconds, probe.timeout_seconds)
    except PasswordUnavailable as exc:
        raise Failed(str(exc)) from None
    except databases.MissingDatabaseFile as exc:
        raise Failed(_("the database file %(path)s does not exist") % {"path": exc}) from None
    started = time.monotonic()
    try:
        with engine.connect() as connection:
            databases.limit_statement_time(connection, probe.timeout_seconds)
            row = connection.execute(sa.text(settings.query)).first()
    except DBAPIError as exc:
        raise Failed(_first_line(exc.orig)) from None
    except SQLAlchemyError as exc:
        raise Failed(_first_line(exc)) from None
    finally:
        engine.dispose()
    if row is None or not len(row):
        raise Failed(_("the query returned no row"))
    return Reading(True, _ms_since(started), web.number(row[0], _("the query's result")))


def _first_line(error) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# --- heartbeat -----------------------------------------------------------------------------

def heartbeat(settings: config.Heartbeat, probe: Probe, at: datetime) -> Reading:
    """Up while the outside job has checked in within its period (counted from the probe's
    creation until the first check-in)."""
    last = probe.last_heartbeat_at or probe.created_at
    silent = at - last
    if silent > timedelta(minutes=settings.period_minutes):
        since = _("no check-in for %(minutes).0f min") % {"minutes": silent.total_seconds() / 60} \
            if probe.last_heartbeat_at else _("no check-in yet")
        raise Failed(_("%(since)s (expected every %(period)s min)") % {
            "since": since, "period": f"{settings.period_minutes:g}"})
    return Reading(True)


# --- Prometheus ----------------------------------------------------------------------------

def prometheus(settings: config.Prometheus, probe: Probe, at: datetime) -> Reading:
    answer = web.Client(probe.timeout_seconds, settings.verify_tls).request("GET", settings.url, settings.headers)
    web.expect_status(answer.status, [200])
    expression = promql.parse(settings.expression)
    samples = promql.scrape_samples(answer.text)
    before = promql.Counters.from_json(probe.last_counters)
    # Kept before evaluating: even a reading that fails (for want of a previous scrape, say) is
    # the next reading's previous scrape.
    services.keep_counters(probe, expression.counters(samples, at))
    value, holds = expression.evaluate(samples, at, before)
    if holds:
        return Reading(False, answer.latency_ms, value, _("%(expression)s (value %(value)s)") % {
            "expression": settings.expression, "value": f"{value:g}"})
    return Reading(True, answer.latency_ms, value)


KINDS = {"http": http, "tcp": tcp, "sql": sql, "synthetic": synthetic.run, "heartbeat": heartbeat,
         "prometheus": prometheus}

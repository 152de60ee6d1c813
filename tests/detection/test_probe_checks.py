"""Each kind of check against a real local target: what it finds, and how it says what failed."""
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from lifeline.core import clock as lifeline_clock
from lifeline.detection.probes import checks
from tests.detection.probe_servers import json_answer, make_probe, self_signed_tls, serve

pytestmark = pytest.mark.django_db


def text_answer(body, status=200):
    return lambda request: (status, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


def read(probe):
    return checks.check(probe, lifeline_clock.now())


# --- HTTP(S) -------------------------------------------------------------------------------

def test_http_status_keyword_and_latency():
    with serve({("GET", "/"): text_answer("<h1>预约挂号</h1>"), ("GET", "/broken"): text_answer("oops", 503)}) as site:
        assert read(make_probe(config={"url": site.url + "/", "keyword": "预约挂号"})).ok
        missing = read(make_probe("b", config={"url": site.url + "/", "keyword": "门诊缴费"}))
        assert not missing.ok and missing.error == "页面不含 '门诊缴费'"
        broken = read(make_probe("c", config={"url": site.url + "/broken"}))
        assert (broken.ok, broken.error) == (False, "HTTP 503")
        expected = read(make_probe("d", config={"url": site.url + "/broken", "expect_status": [503]}))
        assert expected.ok and expected.latency_ms > 0


def test_http_json_field_value_and_number_with_threshold():
    health = json_answer({"data": {"status": "ok", "queue": [{"waiting": 37}]}})
    with serve({("GET", "/health"): lambda request: health}) as site:
        url = site.url + "/health"
        assert read(make_probe(config={"url": url, "json_path": "data.status", "json_value": "ok"})).ok
        wrong = read(make_probe("b", config={"url": url, "json_path": "data.status", "json_value": "up"}))
        assert wrong.error == "data.status 为 'ok'，应为 'up'"
        queue = make_probe("c", config={"url": url, "json_path": "data.queue.0.waiting"},
                           threshold_op=">", threshold_value=30)
        reading = read(queue)
        assert (reading.ok, reading.value, reading.error) == (False, 37, "数值 37 > 30")
        absent = read(make_probe("d", config={"url": url, "json_path": "data.beds"}))
        assert absent.error == "JSON 响应中没有 data.beds"


def test_http_max_latency():
    def slow(request):
        time.sleep(0.3)
        return 200, b"ok", {}

    with serve({("GET", "/"): slow}) as site:
        reading = read(make_probe(config={"url": site.url + "/", "max_latency_ms": 100}))
        assert not reading.ok and reading.error.endswith("超过 100 毫秒")
        assert read(make_probe("b", config={"url": site.url + "/", "max_latency_ms": 5000})).ok


def test_http_refused_and_timed_out():
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    refused = read(make_probe(config={"url": f"http://127.0.0.1:{port}/"}))
    assert not refused.ok and "refused" in refused.error.lower()

    def stuck(request):
        time.sleep(2.5)
        return 200, b"late", {}

    with serve({("GET", "/"): stuck}) as site:
        timed_out = read(make_probe("b", config={"url": site.url + "/"}, timeout_seconds=1))
        assert (timed_out.ok, timed_out.error) == (False, "超时")


def test_https_certificate_expiry(tmp_path, clock):
    clock.freeze(datetime.now(UTC))
    tls = self_signed_tls(tmp_path, datetime.now(UTC) + timedelta(days=10))
    with serve({("GET", "/"): text_answer("ok")}, tls=tls) as site:
        # Self-signed: trusted only when told so; its expiry is read either way.
        untrusted = read(make_probe(config={"url": site.url + "/"}))
        assert not untrusted.ok and "CERTIFICATE_VERIFY_FAILED" in untrusted.error
        config = {"url": site.url + "/", "verify_tls": False}
        assert read(make_probe("b", config={**config, "cert_days": 7})).ok
        expiring = read(make_probe("c", config={**config, "cert_days": 14}))
        assert not expiring.ok and "不足 14 天" in expiring.error
        clock.advance(days=5)  # the clock, not the wall, decides what "within" means
        assert not read(make_probe("d", config={**config, "cert_days": 7})).ok


# --- TCP -----------------------------------------------------------------------------------

def test_tcp_connect():
    with serve() as site:
        port = site.server.server_address[1]
        assert read(make_probe(kind="tcp", config={"host": "127.0.0.1", "port": port})).ok
    closed = read(make_probe("b", kind="tcp", config={"host": "127.0.0.1", "port": port}))
    assert not closed.ok and closed.error.startswith(f"127.0.0.1:{port}: ")


# --- heartbeat -----------------------------------------------------------------------------

def test_heartbeat_counts_from_creation_then_from_the_last_check_in(clock):
    start = clock.freeze(datetime(2026, 11, 22, 1, 0, tzinfo=UTC))
    probe = make_probe(kind="heartbeat", config={"period_minutes": 60}, interval_seconds=60, timeout_seconds=5)
    assert checks.check(probe, start + timedelta(minutes=59)).ok
    late = checks.check(probe, start + timedelta(minutes=61))
    assert late.error == "还没有签到（应每 60 分钟签到一次）"
    probe.last_heartbeat_at = start + timedelta(minutes=30)
    assert checks.check(probe, start + timedelta(minutes=89)).ok
    assert checks.check(probe, start + timedelta(minutes=95)).error == "已 65 分钟没有签到（应每 60 分钟签到一次）"

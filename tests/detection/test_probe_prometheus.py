"""Prometheus probes scrape the real node_exporter (Debian's prometheus-node-exporter) and
evaluate expressions over it; the expression grammar refuses what it does not know."""
import os
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from lifeline.core import clock
from lifeline.detection.probes import checks, promql
from tests.detection.probe_servers import make_probe, serve

pytestmark = pytest.mark.django_db
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
DISK_FREE = 'node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"} * 100'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def node_exporter():
    if not shutil.which(NODE_EXPORTER):
        message = f"{NODE_EXPORTER} is not installed (Debian package prometheus-node-exporter)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(f"SKIPPED: {message}")
    port = free_port()
    process = subprocess.Popen(
        [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults",
         "--collector.filesystem", "--collector.meminfo",
         "--collector.filesystem.fs-types-exclude=^(proc|sysfs|cgroup2?|nsfs|tracefs|debugfs|devpts)$",
         "--collector.filesystem.mount-points-exclude=^/(dev|proc|run|sys)($|/)"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/metrics"
    deadline = time.monotonic() + 15  # waiting for a real process to listen, not for our logic
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"node_exporter did not start: {process.stderr.read().decode()[-500:]}")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)


def disk_free_percent() -> float:
    stats = os.statvfs("/")
    return 100 * stats.f_bavail / stats.f_blocks


def test_disk_free_percent_of_the_root_filesystem(node_exporter):
    probe = make_probe("服务器磁盘", kind="prometheus", config={"url": node_exporter, "expression": DISK_FREE + " < 10"})
    reading = checks.check(probe, clock.now())
    assert reading.value == pytest.approx(disk_free_percent(), abs=1)
    assert reading.ok == (reading.value >= 10)
    # The same expression, with a comparison that holds: the reading fails and says why.
    full = make_probe("b", kind="prometheus", config={"url": node_exporter, "expression": DISK_FREE + " < 100"})
    failed = checks.check(full, clock.now())
    assert not failed.ok and failed.error == f"{DISK_FREE} < 100（数值 {failed.value:g}）"


def test_metric_with_label_filters_against_the_probe_threshold(node_exporter):
    memory = "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100"
    probe = make_probe("内存", kind="prometheus", config={"url": node_exporter, "expression": memory},
                       threshold_op="<", threshold_value=0.001)
    reading = checks.check(probe, clock.now())
    assert reading.ok and 0 < reading.value <= 100
    disks = make_probe("b", kind="prometheus", threshold_op="<", threshold_value=1, config={
        "url": node_exporter, "expression": 'count(node_filesystem_size_bytes{mountpoint=~"/.*"})'})
    assert checks.check(disks, clock.now()).value >= 1
    nowhere = make_probe("c", kind="prometheus", config={
        "url": node_exporter, "expression": 'node_filesystem_size_bytes{mountpoint="/nowhere"} < 1'})
    assert checks.check(nowhere, clock.now()).error == (
        'node_filesystem_size_bytes{mountpoint="/nowhere"} 匹配到 0 条序列，必须恰好匹配一条'
        '（请加标签过滤，或用 sum/avg/min/max/count）')


def test_a_page_that_is_not_metrics():
    with serve({("GET", "/metrics"): lambda request: (200, b"<html><body>login</body></html>", {})}) as site:
        probe = make_probe(kind="prometheus", config={"url": site.url + "/metrics", "expression": "up < 1"})
        reading = checks.check(probe, clock.now())
    assert not reading.ok and reading.error.startswith("不是 Prometheus 指标页面")


@pytest.mark.parametrize("text, reason", [
    ("", "the expression is empty"),
    ("node_load1 >", "at character 13: expected a number, a metric or '(', found the end"),
    ('node_load1{job=up}', "at character 16: expected a quoted label value, found 'up'"),
    ("node_load1 > 1 > 2", "at character 16: expected an operator (+ - * /) or a comparison, found '>'"),
    ("__import__('os')", "at character 11: expected an operator (+ - * /) or a comparison, found '('"),
])
def test_the_grammar_names_where_it_stops(text, reason):
    with pytest.raises(promql.ExpressionInvalid) as refused:
        promql.parse(text)
    assert str(refused.value) == reason


def test_arithmetic_and_folds_over_samples():
    samples = promql.scrape_samples('cpu{mode="idle",cpu="0"} 90\ncpu{mode="idle",cpu="1"} 70\n'
                                    'cpu{mode="user",cpu="0"} 10\n')
    assert promql.parse('100 - avg(cpu{mode="idle"}) > 95').evaluate(samples) == (20, False)
    assert promql.parse('-(max(cpu) - min(cpu)) / 2').evaluate(samples) == (-40, None)
    with pytest.raises(promql.EvaluationFailed, match="除数为零"):
        promql.parse('cpu{mode="user"} / (cpu{mode="user"} - 10)').evaluate(samples)

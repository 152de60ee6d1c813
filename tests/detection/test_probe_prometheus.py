"""Prometheus probes scrape the real node_exporter and blackbox_exporter (Debian's
prometheus-node-exporter and prometheus-blackbox-exporter) and a fake /metrics page whose counters
the tests set, and evaluate expressions over them; the expression grammar refuses what it does not know."""
import json
import os
import time
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from lifeline.core import clock
from lifeline.detection.models import Probe
from lifeline.detection.probes import checks, promql, scheduler
from tests.detection.probe_servers import exporter, make_probe, serve

pytestmark = pytest.mark.django_db
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
BLACKBOX_EXPORTER = "/usr/bin/prometheus-blackbox-exporter"
DISK_FREE = 'node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"} * 100'
CPU_BUSY = '100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle"}[1m])))'
# Received bits per second of eth0 as a per cent of its 1 Gbit/s.
LINK_IN = 'rate(node_network_receive_bytes_total{device="eth0"}[1m]) * 8 / 1e9 * 100'
FIRST_READING = "rate() needs two scrapes within 1m; the next reading will have one"


@pytest.fixture(scope="module")
def node_exporter():
    with exporter(NODE_EXPORTER, "prometheus-node-exporter", [
            "--collector.disable-defaults", "--collector.filesystem", "--collector.meminfo", "--collector.cpu",
            "--collector.filesystem.fs-types-exclude=^(proc|sysfs|cgroup2?|nsfs|tracefs|debugfs|devpts)$",
            "--collector.filesystem.mount-points-exclude=^/(dev|proc|run|sys)($|/)"]) as base:
        yield base + "/metrics"


@pytest.fixture(scope="module")
def blackbox_exporter(tmp_path_factory):
    config = tmp_path_factory.mktemp("blackbox") / "blackbox.yml"
    config.write_text(json.dumps({"modules": {"http_2xx": {"prober": "http", "timeout": "5s"}}}))  # YAML ⊃ JSON
    with exporter(BLACKBOX_EXPORTER, "prometheus-blackbox-exporter", [f"--config.file={config}"]) as base:
        yield base


class MetricsPage:
    """A fake exporter's /metrics page: the test sets its counters, {'name{labels}': value}."""

    def __init__(self):
        self.url = ""
        self.counters = {}

    def answer(self, request):
        names = sorted({series.split("{")[0] for series in self.counters})
        text = "".join(f"# TYPE {name} counter\n" + "".join(
            f"{series} {value}\n" for series, value in self.counters.items() if series.split("{")[0] == name)
            for name in names)
        return 200, text.encode(), {"Content-Type": "text/plain; version=0.0.4"}


@pytest.fixture
def metrics():
    page = MetricsPage()
    with serve({("GET", "/metrics"): page.answer}) as site:
        page.url = site.url + "/metrics"
        yield page


@pytest.fixture
def english():
    """The new messages, in the language they are written in, whatever the catalogue holds."""
    with translation.override("en"):
        yield


def disk_free_percent() -> float:
    stats = os.statvfs("/")
    return 100 * stats.f_bavail / stats.f_blocks


def test_disk_free_percent_of_the_root_filesystem(node_exporter):
    probe = make_probe("服务器磁盘", kind="prometheus",
                       config={"url": node_exporter, "expression": DISK_FREE + " < 10"})
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
    ("rate(x[abc])", "at character 7: expected a window such as [30s], [1m] or [5m], found '[abc]'"),
    ("irate(x[0s]) > 1", "at character 8: expected a window such as [30s], [1m] or [5m], found '[0s]'"),
    ("rate(x[1m) > 1", "at character 7: expected a window such as [30s], [1m] or [5m], found '[1m'"),
    ("rate(x) > 1", "at character 7: expected a window such as [30s], [1m] or [5m], found ')'"),
    ("rate(5)", "at character 6: expected a metric name, found '5'"),
    ("rate(sum(x)[1m])", "at character 9: rate() takes a metric selector with a window, not a function, "
                         "found '('"),
    ("avg(x[1m])", "at character 6: a window such as [1m] goes only inside rate() or irate(), found '[1m]'"),
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


def test_the_probe_settings_take_rate_and_name_a_bad_window(english):
    probe = make_probe("服务器 CPU", kind="prometheus", threshold_op=">", threshold_value=95,
                       config={"url": "http://127.0.0.1:9/metrics", "expression": CPU_BUSY})
    assert probe.pk  # saved: rate() with a window is valid, and its number can take a threshold
    with pytest.raises(ValidationError) as refused:
        make_probe("b", kind="prometheus", config={"url": "http://127.0.0.1:9/metrics",
                                                   "expression": "rate(node_cpu_seconds_total[1 min]) > 1"})
    assert refused.value.message_dict["config"] == [
        "config.expression: at character 28: expected a window such as [30s], [1m] or [5m], found '[1 min]'"]
    with pytest.raises(ValidationError) as refused:
        make_probe("c", kind="prometheus", interval_seconds=60,
                   config={"url": "http://127.0.0.1:9/metrics", "expression": "rate(node_cpu_seconds_total[1m]) > 1"})
    assert refused.value.message_dict["interval_seconds"] == [
        "rate() compares two scrapes within its window of 60 s: the interval must be shorter"]


def test_cpu_busy_percent_from_two_scrapes_15_s_apart(clock, metrics, english):
    idle = 'node_cpu_seconds_total{{cpu="{}",mode="idle"}}'
    metrics.counters = {idle.format(0): 1000, idle.format(1): 2000, 'node_cpu_seconds_total{cpu="0",mode="user"}': 50}
    probe = make_probe("服务器 CPU", kind="prometheus", config={"url": metrics.url, "expression": CPU_BUSY + " > 85"})
    # The worker's path (a fresh probe from the database each time): the first reading has nothing to compare.
    first = scheduler.run_one(probe.pk, clock.now(), "worker")
    assert first.last_value is None and first.last_error == FIRST_READING

    # 15 s later CPU 0 was idle 1 s and CPU 1 2 s: 3 s idle of 2 × 15 s is 90 % busy.
    # A CPU that appeared since (cpu 2) has no rate yet and is left out of the average.
    metrics.counters.update({idle.format(0): 1001, idle.format(1): 2002, idle.format(2): 7,
                             'node_cpu_seconds_total{cpu="0",mode="user"}': 62})
    second = scheduler.run_one(probe.pk, clock.advance(seconds=15), "worker")
    assert second.last_value == pytest.approx(90)
    assert second.last_error == f"{CPU_BUSY} > 85 (value 90)"

    # Only the idle counters the expression reads are kept, with the time of that scrape.
    kept = Probe.objects.get(pk=probe.pk).last_counters
    assert kept == {"at": clock.now().isoformat(), "series": {'node_cpu_seconds_total{mode="idle"}': [
        [{"cpu": "0", "mode": "idle"}, 1001.0], [{"cpu": "1", "mode": "idle"}, 2002.0],
        [{"cpu": "2", "mode": "idle"}, 7.0]]}}

    metrics.counters.update({idle.format(0): 1007, idle.format(1): 2008, idle.format(2): 22})
    third = scheduler.run_one(probe.pk, clock.advance(seconds=15), "worker")
    assert third.last_value == pytest.approx(100 * (1 - (6 + 6 + 15) / 45)) and third.last_error == ""


def test_link_utilisation_over_95_percent_fails(clock, metrics, english):
    metrics.counters = {'node_network_receive_bytes_total{device="eth0"}': 1e12,
                        'node_network_receive_bytes_total{device="lo"}': 5e9}
    probe = make_probe("核心交换机上联", kind="prometheus",
                       config={"url": metrics.url, "expression": LINK_IN + " > 95"})
    assert checks.check(probe, clock.now()).error == FIRST_READING

    # 1.8 GB in 15 s is 960 Mbit/s: 96 % of the 1 Gbit/s link.
    metrics.counters['node_network_receive_bytes_total{device="eth0"}'] += 1.8e9
    busy = checks.check(Probe.objects.get(pk=probe.pk), clock.advance(seconds=15))
    assert not busy.ok and busy.value == pytest.approx(96)
    assert busy.error == f"{LINK_IN} > 95 (value 96)"

    metrics.counters['node_network_receive_bytes_total{device="eth0"}'] += 0.75e9  # 400 Mbit/s
    calm = checks.check(Probe.objects.get(pk=probe.pk), clock.advance(seconds=15))
    assert calm.ok and calm.value == pytest.approx(40)


def test_a_counter_that_went_down_restarted_from_zero(clock, metrics):
    metrics.counters = {'node_network_transmit_bytes_total{device="eth0"}': 5e9}
    mbits = 'irate(node_network_transmit_bytes_total{device="eth0"}[1m]) * 8 / 1e6'
    probe = make_probe("上联发送", kind="prometheus", config={"url": metrics.url, "expression": mbits},
                       threshold_op="<", threshold_value=0)
    checks.check(probe, clock.now())
    # The exporter restarted and counted 300 MB since: 300 MB in 15 s is 160 Mbit/s, not a negative rate.
    metrics.counters['node_network_transmit_bytes_total{device="eth0"}'] = 3e8
    reading = checks.check(probe, clock.advance(seconds=15))
    assert reading.ok and reading.value == pytest.approx(160)


def test_rate_needs_the_previous_scrape_within_its_window(clock, metrics, english):
    metrics.counters = {'node_network_receive_bytes_total{device="eth0"}': 1e9}
    probe = make_probe("上联接收", kind="prometheus", config={"url": metrics.url, "expression": LINK_IN + " > 95"})
    first = checks.check(probe, clock.now())
    assert first.ok is None and first.error == FIRST_READING  # no verdict: neither up nor down

    # A reading missed (or an interval longer than the window): 90 s is more than 1m.
    metrics.counters['node_network_receive_bytes_total{device="eth0"}'] += 1e9
    late = checks.check(probe, clock.advance(seconds=90))
    assert late.ok is None and late.error == ("rate() needs two scrapes within 1m; the previous one was 90 s earlier "
                                          "(the probe's interval must be shorter than the window)")

    # The late reading was kept: the next one, 15 s on, has its rate again (150 MB in 15 s: 8 %).
    metrics.counters['node_network_receive_bytes_total{device="eth0"}'] += 1.5e8
    again = checks.check(probe, clock.advance(seconds=15))
    assert again.ok and again.value == pytest.approx(8)


def test_a_reading_without_a_previous_scrape_neither_alerts_nor_counts(clock, metrics, english):
    """Down after one failure: the first reading of a new rate() probe, and the first after the
    worker was away longer than the window, must not raise an alert on a link that is fine."""
    link = 'node_network_receive_bytes_total{device="eth0"}'
    metrics.counters = {link: 1e9}
    probe = make_probe("上联接收", kind="prometheus", down_after=1, up_after=1,
                       config={"url": metrics.url, "expression": LINK_IN + " > 95"})
    first = scheduler.run_one(probe.pk, clock.now(), "worker")
    assert (first.state, first.consecutive_failures, first.alerted) == (Probe.State.UNKNOWN, 0, False)
    assert first.last_error == FIRST_READING and not first.results.exists()

    metrics.counters[link] += 1.5e8  # 80 Mbit/s: fine
    fine = scheduler.run_one(probe.pk, clock.advance(seconds=15), "worker")
    assert fine.state == Probe.State.UP and fine.last_value == pytest.approx(8)

    metrics.counters[link] += 1e9
    away = scheduler.run_one(probe.pk, clock.advance(seconds=300), "worker")  # the worker was stopped
    assert (away.state, away.alerted, away.results.count()) == (Probe.State.UP, False, 1)

    metrics.counters[link] += 1.8e9  # 96 % of the link: now it is down, at once
    busy = scheduler.run_one(probe.pk, clock.advance(seconds=15), "worker")
    assert busy.state == Probe.State.DOWN and busy.alerted


def test_cpu_busy_percent_from_the_real_node_exporter(node_exporter, english):
    probe = make_probe("服务器 CPU", kind="prometheus", config={"url": node_exporter, "expression": CPU_BUSY})
    first = checks.check(probe, datetime.now(UTC))
    # Real counters move in real time, so the clock is real here; one CPU kept busy meanwhile makes
    # the machine's average more than 0 % busy even when it is otherwise idle.
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        pass
    second = checks.check(probe, datetime.now(UTC))
    assert first.ok is None and first.error == FIRST_READING
    assert second.ok and 0 < second.value <= 100


def test_blackbox_exporter_probe_success(blackbox_exporter, english):
    with serve({("GET", "/"): lambda request: (200, b"<html>HIS</html>", {})}) as his:
        url = f"{blackbox_exporter}/probe?target={his.url}/&module=http_2xx"
        probe = make_probe("HIS 门户（blackbox）", kind="prometheus",
                           config={"url": url, "expression": "probe_success == 0"})
        up = checks.check(probe, clock.now())
        assert his.seen  # blackbox_exporter itself asked the HIS page
    down = checks.check(probe, clock.now())
    assert up.ok and up.value == 1
    assert not down.ok and down.error == "probe_success == 0 (value 0)"

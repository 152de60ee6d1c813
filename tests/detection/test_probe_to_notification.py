"""Done when: a local HTTP server watched by a probe (5 s interval, down after 2 failures) is
stopped; driving the worker's jobs on the injected clock, the page reaches a local fake WeCom
bot, and when that fake refuses with errcode 93000 the page fails over to email received by a
local SMTP server. No sleeping: the clock jumps a second per round of jobs."""
import pytest

from lifeline.core import worker
from lifeline.detection.models import Probe
from lifeline.detection.probes import scheduler
from lifeline.incidents.models import Incident
from lifeline.notify import tasks as notify_tasks
from lifeline.people.models import ContactChannel
from lifeline.status.models import Component
from tests.detection.probe_servers import make_probe, serve
from tests.incidents.conftest import load_seed, on_duty, t0  # noqa: F401
from tests.notify.conftest import smtp, vendor  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
LIMIT_SECONDS = 60


class WorkerRounds:
    """The worker's registered jobs, run as `lifeline worker` runs them, one second at a time on
    the injected clock; after each round the probe checks and the sends under way finish."""

    def __init__(self, clock):
        self.clock = clock
        self.jobs = worker.discover()
        self.elapsed = 0

    def run(self):
        self.elapsed += 1
        now = self.clock.advance(seconds=1)
        for job in self.jobs:
            if self.elapsed % max(1, int(job.every)) == 0:
                job.func(now)
        scheduler.runner.wait(10)
        notify_tasks.dispatcher.collect(wait_for_answers=True)

    def until(self, condition, limit=LIMIT_SECONDS) -> int:
        """Rounds until the condition holds; returns the simulated seconds it took."""
        start = self.elapsed
        while not condition():
            assert self.elapsed - start < limit, f"not within {limit} s"
            self.run()
        return self.elapsed - start


@pytest.fixture
def watched_portal(t0, load_seed, on_duty):
    """Plan 001 active; 挂号 watched by an HTTP probe; its IT director on duty, reachable by the
    WeCom bot first and by email second."""
    load_seed("001")
    component = Component.objects.create(key="registration", name="挂号")
    director = on_duty("it_director", "王建国")
    site = serve({("GET", "/health"): lambda request: (200, b"OK", {})})
    server = site.__enter__()
    probe = make_probe("挂号服务", config={"url": server.url + "/health", "keyword": "OK"}, component=component,
                       interval_seconds=5, timeout_seconds=2, down_after=2)
    yield server, probe, director
    site.__exit__(None, None, None)


def stop_and_wait_for_down(rounds, server, probe):
    assert rounds.until(lambda: Probe.objects.get(pk=probe.pk).state == Probe.State.UP) <= 5
    server.stop()
    seconds = rounds.until(lambda: Probe.objects.get(pk=probe.pk).state == Probe.State.DOWN)
    assert seconds <= 10  # two 5 s slots
    return seconds


def test_a_stopped_server_pages_the_director_on_wecom(clock, watched_portal, vendor, smtp):
    server, probe, director = watched_portal
    ContactChannel.objects.create(member=director, kind="wecom", url="wecombot://director-key", order=0)
    ContactChannel.objects.create(member=director, kind="email", url=smtp.mailto("wang@hospital.example"), order=1)
    rounds = WorkerRounds(clock)
    down = stop_and_wait_for_down(rounds, server, probe)
    paged = rounds.until(lambda: vendor.texts("/cgi-bin/webhook/send"))
    assert down + paged <= 15  # the goal at a 5 s interval
    incident = Incident.objects.get()
    assert incident.services == ["挂号"] and incident.level_id == "L1"
    [text] = vendor.texts("/cgi-bin/webhook/send")
    assert f"#{incident.pk}" in text and "挂号" in text
    assert smtp.mails == []


def test_a_refusing_wecom_bot_fails_over_to_email(clock, watched_portal, vendor, smtp):
    server, probe, director = watched_portal
    ContactChannel.objects.create(member=director, kind="wecom", url="wecombot://revoked-key", order=0)
    ContactChannel.objects.create(member=director, kind="email", url=smtp.mailto("wang@hospital.example"), order=1)
    vendor.refuse("revoked-key")  # HTTP 200 {"errcode": 93000, "errmsg": "invalid webhook url …"}
    rounds = WorkerRounds(clock)
    stop_and_wait_for_down(rounds, server, probe)
    rounds.until(lambda: smtp.mails)
    assert len(vendor.texts("/cgi-bin/webhook/send")) == 3  # tried, retried twice, then the next channel
    [mail] = smtp.mails
    incident = Incident.objects.get()
    assert mail["To"] == "wang@hospital.example" and f"#{incident.pk}" in smtp.bodies()[0]
    # The server comes back on its port: the probe is up, and the incident hears the source resolved.
    with serve(server.routes, port=server.server.server_address[1]):
        rounds.until(lambda: Probe.objects.get(pk=probe.pk).state == Probe.State.UP)
    assert incident.timeline.filter(text__startswith="告警源已恢复").exists()

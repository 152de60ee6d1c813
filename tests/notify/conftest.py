"""Fixtures of the notification tests: fake vendors and an SMTP server that Apprise really sends
to, Lifeline pointed at them, an incident with a member on duty, and the worker's job."""
import pytest

from lifeline.notify.delivery import Dispatcher
from lifeline.people.models import ContactChannel
from tests.incidents.conftest import load_seed, on_duty, t0  # noqa: F401  (shared fixtures)
from tests.notify.fakes import FakeSMTP, FakeVendor


@pytest.fixture
def vendor(settings):
    """One fake answering as WeCom, DingTalk and Feishu (and any JSON hook); Lifeline points at it."""
    fake = FakeVendor().start()
    settings.LIFELINE_WECOM_API_BASE = settings.LIFELINE_DINGTALK_API_BASE = fake.url
    settings.LIFELINE_FEISHU_API_BASE = fake.url
    settings.LIFELINE_BASE_URL = "https://lifeline.hospital.example"
    yield fake
    fake.stop()


@pytest.fixture
def smtp():
    server = FakeSMTP().start()
    yield server
    server.stop()


@pytest.fixture
def dispatcher():
    """What `lifeline worker` runs every second (notify.tasks.deliver_outbox), waiting for the answers."""
    instance = Dispatcher()

    class Run:
        def __call__(self, clock):
            return instance.run(clock.now(), wait_for_answers=True)

        dispatcher = instance

    yield Run()
    instance.pool.shutdown(wait=True)


@pytest.fixture
def channel():
    def add(member, kind, url, order=0):
        return ContactChannel.objects.create(member=member, kind=kind, url=url, order=order)

    return add


@pytest.fixture
def incident_003(load_seed, on_duty):  # noqa: F811
    """Plan 003 (Chinese): its IT director on duty is paged when an incident opens."""
    from lifeline.incidents import lifecycle

    def open_one(member_name="王建国", is_drill=False, **fields):
        director = on_duty("it_director", member_name, **fields)
        incident = lifecycle.open_incident(plan_id=load_seed("003"), title="挂号系统无法登录",
                                           scenario_id="db_cluster_one_node", is_drill=is_drill)
        return incident, director

    return open_one

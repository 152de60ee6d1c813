"""Fixtures of the fault analysis tests: the incident tests' clock and plans, and one incident run to the end."""
import pytest

from lifeline.incidents import checklist, firing, intake, lifecycle
from lifeline.incidents.models import ChecklistItem, Incident
from tests.incidents.conftest import SHANGHAI, load_seed, on_duty, t0  # noqa: F401 (fixtures)

__all__ = ["SHANGHAI", "load_seed", "on_duty", "t0"]

TITLE = "生殖中心系统应用服务器宕机"


@pytest.fixture
def resolved(load_seed, t0, clock):
    """Seed 002's application-server failure at the general level (respond 2 h, resolve 24 h):
    three reports from two departments, acknowledged at T+30 min, two steps done and one
    skipped, the 24 h timer fired, resolved at T+26 h."""
    plan = load_seed("002")
    numbers = [intake.submit_report(department=department, description="系统无法登录", contact="8021",
                                    people_affected=people).number
               for department, people in (("生殖医学中心", 2), ("检验科", 3), ("生殖医学中心", 1))]
    incident = lifecycle.open_incident(plan_id=plan, title=TITLE, reports=numbers, level_id="general",
                                       scenario_id="app_server_failure")
    clock.advance(minutes=30)
    lifecycle.transition(incident, "acknowledged")
    items = list(incident.checklist.order_by("order"))
    clock.advance(minutes=10)
    checklist.tick(incident, items[0].pk)
    checklist.tick(incident, items[1].pk)
    checklist.skip(incident, items[2].pk, "厂商远程处理，无需重装系统")
    clock.advance(hours=23, minutes=20)  # T+24 h: the plan's timer and the resolution deadline
    firing.fire_due_timers(clock.now(), "test-worker")
    clock.advance(hours=2)
    lifecycle.transition(incident, "resolved", confirmed=True)  # steps left open on purpose
    assert incident.checklist.filter(status=ChecklistItem.Status.SKIPPED).count() == 1
    return Incident.objects.get(pk=incident.pk)

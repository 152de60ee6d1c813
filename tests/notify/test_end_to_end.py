"""From an incident opened by incidents.lifecycle to the phone of whoever is on duty, through the
worker's jobs: the page, the escalation to the backup, and the acknowledgement link stopping it."""
import re
from urllib.parse import urlsplit

import pytest

from lifeline.incidents import lifecycle
from lifeline.incidents import tasks as incident_tasks
from lifeline.incidents.models import OutboxMessage, Timer
from lifeline.notify import tasks as notify_tasks
from lifeline.people.models import DutyKind

# Transactional: the jobs close stale connections between runs, as in the worker.
pytestmark = pytest.mark.django_db(transaction=True)


def worker_second(clock):
    """One second of `lifeline worker`: its registered jobs, then the answers of the sends it started."""
    incident_tasks.fire_due_timers(clock.now())
    notify_tasks.deliver_outbox(clock.now())
    notify_tasks.dispatcher.collect(wait_for_answers=True)


def test_open_page_escalate_and_acknowledge_by_the_link(load_seed, on_duty, vendor, channel, client, clock):
    director = on_duty("it_director", "王建国")
    backup = on_duty("it_director", "赵副主任", kind=DutyKind.BACKUP)
    channel(director, "wecom", "wecombot://director-key")
    channel(backup, "wecom", "wecombot://backup-key")
    incident = lifecycle.open_incident(plan_id=load_seed("003"), title="门诊挂号系统无法登录", services=["挂号"],
                                       scenario_id="db_cluster_one_node", is_drill=True)

    worker_second(clock)
    [page] = vendor.received
    assert page.query["key"] == ["director-key"]
    assert page.text.startswith("【演练】有事件待确认\n") and "影响业务：挂号" in page.text
    assert OutboxMessage.objects.get(member=director).status == "sent"

    clock.advance(minutes=5)  # nobody acknowledged: the escalation pages the backup
    worker_second(clock)
    assert [r.query["key"] for r in vendor.received] == [["director-key"], ["backup-key"]]
    assert "已持续 5 分钟" in vendor.received[1].text

    link = urlsplit(re.search(r"https://\S+", page.text).group(0)).path
    assert client.post(link).status_code == 200
    clock.advance(minutes=20)  # group lead and command centre would be next; the acknowledgement stopped them
    worker_second(clock)
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert len(vendor.received) == 2
    stopped = incident.timers.filter(kind=Timer.Kind.ACK_ESCALATION, status="cancelled")
    assert sorted(stopped.values_list("key", flat=True)) == ["command_centre", "group_lead", "repeat:1"]
    assert list(OutboxMessage.objects.values_list("status", flat=True)) == ["sent", "sent"]

"""`respond: immediate` is acknowledging within the plan's paging timeout (escalation.ack_timeout,
5 minutes unless the plan says otherwise): the incident's response deadline, the fault analysis
and the statistics agree; acknowledged 18 seconds after opening is in time, after 6 minutes late."""
from datetime import timedelta

import pytest

from lifeline.accounts.roles import Role
from lifeline.analysis import services as analysis
from lifeline.analysis import statistics
from lifeline.incidents import levels, lifecycle
from lifeline.plans import services as plans

pytestmark = pytest.mark.django_db

PLAN = "general_hospital_his"


@pytest.fixture
def downtime(load_seed, t0):
    load_seed("003")
    return lifecycle.open_incident(plan_id=PLAN, title="主数据库不可用", level_id="level_1")


def test_immediate_is_the_paging_timeout(downtime, t0):
    content = plans.active_version(PLAN).content
    assert content.levels[-1].sla.respond == "immediate"
    assert levels.respond_within(content, "immediate") == content.escalation.ack_timeout == "5min"
    assert levels.respond_within(content, "30min") == "30min"
    assert downtime.respond_by == t0 + timedelta(minutes=5)


def test_acknowledged_18_seconds_after_opening_is_in_time_everywhere(downtime, clock, make_user, client):
    duty = make_user("duty", Role.DUTY)
    clock.advance(seconds=18)
    lifecycle.transition(downtime, "acknowledged", duty)
    downtime.refresh_from_db()
    assert analysis.figures(downtime).acknowledged_in_time is True
    built = analysis.build(downtime)
    respond = dict(built.impact)[built.t["respond_by"]]
    assert built.t["met"] in respond and built.t["missed"] not in respond
    assert statistics.compute().total.respond_sla.pct == 100

    client.force_login(duty)
    page = client.get(f"/incidents/{downtime.pk}/").content.decode()
    assert "data-until=\"2026-11-22T09:05:00+08:00\"" not in page  # acknowledged: no response countdown


def test_acknowledged_after_the_paging_timeout_is_late(downtime, clock, make_user):
    clock.advance(minutes=6)
    lifecycle.transition(downtime, "acknowledged", make_user("duty", Role.DUTY))
    downtime.refresh_from_db()
    assert analysis.figures(downtime).acknowledged_in_time is False
    assert statistics.compute().total.respond_sla.pct == 0


def test_unacknowledged_immediate_incident_counts_down_the_paging_timeout(downtime, t0, make_user, client):
    client.force_login(make_user("duty", Role.DUTY))
    page = client.get(f"/incidents/{downtime.pk}/").content.decode()
    assert f'data-until="{(t0 + timedelta(minutes=5)).isoformat()}"' in page

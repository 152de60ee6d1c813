"""A follow-up past its due date pages its owner, a day later the commander, once each, on the
incident's timeline; a vendor's goes to the commander at once (a worker job, not a page load)."""
from datetime import date, datetime, timedelta

import pytest

from lifeline.analysis import overdue, services
from lifeline.core.worker import discover
from lifeline.incidents.models import OutboxMessage, TimelineEntry
from lifeline.people.models import Member
from tests.analysis.conftest import SHANGHAI

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(on_duty):
    """Seed 002's project lead on duty when the incident opens: its commander."""
    return on_duty("project_lead", "刘组长")


@pytest.fixture
def incident(lead, resolved):
    return resolved


def pages(incident):
    return [(m.member.name, m.role, m.subject) for m in OutboxMessage.objects.filter(
        incident=incident, dedupe_key__contains=":overdue:follow_up:").select_related("member").order_by("pk")]


def run(clock):
    return overdue.page_overdue(clock.now(), "test-worker")


def test_an_overdue_follow_up_pages_its_owner_once_then_the_commander_once(incident, lead, clock):
    # The clock is at 2026-11-23 11:00 (Shanghai) after the incident.
    wang = Member.objects.create(name="王工", phone="13900000001", department="信息中心")
    drill = services.add_follow_up(incident, title="组织一次应用服务器故障演练", due_on=date(2026, 11, 23),
                                   owner_id=wang.pk)
    services.add_follow_up(incident, title="升级应用服务器操作系统补丁", due_on="2026-11-23", vendor="某 HIS 厂商")
    done = services.add_follow_up(incident, title="更新联系人表", due_on="2026-11-23", owner_id=wang.pk)
    services.mark_done(done, result="已更新")
    assert run(clock) == 0  # due today: not late yet

    clock.freeze(datetime(2026, 11, 24, 0, 1, tzinfo=SHANGHAI))
    assert run(clock) == 2
    assert run(clock) == 0
    assert pages(incident) == [
        ("王工", "owner", "整改事项已逾期：组织一次应用服务器故障演练（期限 2026-11-23）"),
        # a vendor has no member to page: the commander hears at once
        ("刘组长", "commander", "整改事项逾期仍未完成：升级应用服务器操作系统补丁（期限 2026-11-23，某 HIS 厂商）"),
    ]
    said = list(incident.timeline.filter(kind=TimelineEntry.Kind.PAGE, data__has_key="follow_up")
                .values_list("text", flat=True))
    assert said == ["整改事项已逾期，已呼叫负责人王工：组织一次应用服务器故障演练",
                    "整改事项已逾期，已呼叫事件指挥刘组长：升级应用服务器操作系统补丁"]

    clock.advance(hours=23, minutes=59)
    assert run(clock) == 0
    clock.advance(minutes=1)  # a day after its owner, still open: the commander
    assert run(clock) == 1
    clock.advance(days=3)
    assert run(clock) == 0
    assert pages(incident)[2:] == [
        ("刘组长", "commander", "整改事项逾期仍未完成：组织一次应用服务器故障演练（期限 2026-11-23，王工）")]
    drill.refresh_from_db()
    assert drill.owner_paged_at == datetime(2026, 11, 24, 0, 1, tzinfo=SHANGHAI)
    assert drill.commander_paged_at == drill.owner_paged_at + timedelta(days=1)


def test_done_before_the_commander_hears_stops_there(incident, clock):
    wang = Member.objects.create(name="王工", phone="13900000001")
    drill = services.add_follow_up(incident, title="组织一次演练", due_on="2026-11-23", owner_id=wang.pk)
    clock.freeze(datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI))
    run(clock)
    services.mark_done(drill, result="已演练")
    clock.advance(days=2)
    assert run(clock) == 0
    assert [name for name, _role, _subject in pages(incident)] == ["王工"]


def test_the_worker_runs_it():
    assert "lifeline.analysis.tasks.page_overdue_follow_ups" in {job.name for job in discover()}

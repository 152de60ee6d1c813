"""Fixtures of the inspection tests: a machine-room daily checklist with two automatic items
(probes) and three manual ones, as seeds 002 and 004 inspect every day."""
from datetime import datetime

import pytest
from django.utils import timezone

from lifeline.accounts.roles import Role
from lifeline.detection.models import Probe
from lifeline.inspections import checklists
from lifeline.inspections.models import Frequency

# Wednesday 2026-12-02, 08:00 hospital time: the day's round is due at 10:00.
MORNING = datetime(2026, 12, 2, 8, 0)


@pytest.fixture
def morning(clock):
    clock.freeze(timezone.make_aware(MORNING))
    return clock


@pytest.fixture
def probes(db):
    return [Probe.objects.create(name=name, kind=Probe.Kind.HTTP, config={"url": url}, state=state)
            for name, url, state in (("HIS 数据库", "http://his.local/health", Probe.State.UP),
                                     ("PACS 接口", "http://pacs.local/health", Probe.State.DOWN))]


@pytest.fixture
def daily(probes):
    """机房日常巡检: two probes read by Lifeline, then antivirus, temperature (18–27 °C) and fire equipment."""
    checklist = checklists.create_checklist(name="机房日常巡检", frequency=Frequency.DAILY)
    for probe in probes:
        checklists.add_item(checklist, title=f"{probe.name}状态", reads=f"probe:{probe.pk}")
    checklists.add_item(checklist, title="杀毒软件已更新")
    checklists.add_item(checklist, title="机房温度", unit="°C", low=18, high=27)
    checklists.add_item(checklist, title="消防设施")
    return checklist


@pytest.fixture
def it(make_user):
    user = make_user("zhangwei", Role.DUTY)
    user.first_name = "张伟"
    user.save()
    return user


@pytest.fixture
def it_client(client, it):
    client.force_login(it)
    return client

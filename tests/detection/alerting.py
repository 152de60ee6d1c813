"""Fixtures of the alert tests: plan 001 active, the components its scenarios name, the clock."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from lifeline.incidents.models import Incident, TimelineEntry
from lifeline.plans import services as plans
from lifeline.status.models import Component
from tests.plans.seeds import bundled_file

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def t0(clock):
    return clock.freeze(datetime(2026, 11, 22, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def plan_001(db):
    """The internet hospital's plan (seed 001): 挂号 belongs to its database_crash scenario (L1)."""
    return plans.load_files([bundled_file("001")])[0].plan_id


@pytest.fixture
def registration(db):
    return Component.objects.create(key="registration", name="挂号")


@pytest.fixture
def insurance(db):
    return Component.objects.create(key="insurance", name="医保接口")


def alert_texts(incident: Incident) -> list[str]:
    return list(incident.timeline.filter(kind=TimelineEntry.Kind.ALERT).values_list("text", flat=True))

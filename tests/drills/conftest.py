"""Fixtures of the drill tests: seed 001's plan (the internet hospital) loaded from
lifeline/plans/bundled, a clock frozen on a monthly drill's morning, and people by role."""
from datetime import datetime

import pytest
from django.utils import timezone

from lifeline.accounts.roles import Role
from lifeline.drills import services
from lifeline.plans import services as plans
from lifeline.plans.services import BUNDLED_DIR

PLAN = "internet_hospital"
SCENARIO = "network_outage"
# Tuesday 2026-12-08, 09:00 hospital time: the December drill.
DRILL_AT = datetime(2026, 12, 8, 9, 0)


@pytest.fixture
def plan_001(db):
    return plans.load_files([BUNDLED_DIR / "001_internet_hospital.yaml"])[0]


@pytest.fixture
def morning(clock):
    clock.freeze(timezone.make_aware(DRILL_AT))
    return clock


@pytest.fixture
def drill(plan_001, morning):
    return services.plan_drill(plan_id=PLAN, scenario_id=SCENARIO, planned_at=morning.now(),
                               participants="技术组、临床支持组、患者沟通组", observers="信息中心主任",
                               target_acknowledge=5)


@pytest.fixture
def people(make_user):
    found = {}
    for name, role in (("zhangwei", Role.DUTY), ("liqiang", Role.COMMANDER), ("auditor", Role.AUDITOR),
                       ("nurse", Role.DEPARTMENT)):
        found[name] = make_user(name, role)
    return found


@pytest.fixture
def it_client(client, people):
    client.force_login(people["zhangwei"])
    return client

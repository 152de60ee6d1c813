"""Fixtures of the status tests: the demo components, the bundled plans, a fixed moment."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from lifeline.incidents import lifecycle
from lifeline.plans import services as plans
from lifeline.status import demo
from lifeline.status.models import Component
from tests.plans.seeds import bundled_file

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def t0(clock):
    """The clock frozen at Sunday 2026-11-22 09:00 in the hospital's zone."""
    return clock.freeze(datetime(2026, 11, 22, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def components(db):
    """The demo hospital's components by key: registration 挂号, charging 收费, insurance 医保接口 …"""
    demo.load_demo()
    return {c.key: c for c in Component.objects.all()}


@pytest.fixture
def bundled(db):
    """Plans 001 (internet hospital, levels L1–L3) and 004 (HIS failure, class_1–class_3)."""
    plans.load_files([bundled_file("001"), bundled_file("004")])


@pytest.fixture
def open_incident(bundled):
    def open_(title="收费系统故障", plan_id="internet_hospital", level_id="L2", **fields):
        return lifecycle.open_incident(plan_id=plan_id, title=title, level_id=level_id, **fields)

    return open_

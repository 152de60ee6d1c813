"""Fixtures of the incident tests: bundled plans, people on duty, a fixed moment on the clock."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lifeline.people.models import DutyKind, Member, Shift
from lifeline.plans import services as plans
from tests.plans.seeds import bundled_file

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def t0(clock):
    """The clock frozen at Sunday 2026-11-22 09:00 in the hospital's zone."""
    return clock.freeze(datetime(2026, 11, 22, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def load_seed(db):
    """Load a seed's bundled plan ("004") as the active version of its plan; returns the plan id."""

    def load(seed: str) -> str:
        return plans.load_files([bundled_file(seed)])[0].plan_id

    return load


@pytest.fixture
def on_duty(db, t0):
    """Put a new member on duty in a plan role for two days around t0."""
    count = iter(range(1, 10_000))

    def put(role: str, name: str, kind=DutyKind.PRIMARY, **fields) -> Member:
        fields.setdefault("phone", f"1380000{next(count):04d}")
        member = Member.objects.create(name=name, **fields)
        Shift.objects.create(role=role, member=member, kind=kind, starts_at=t0 - timedelta(days=1),
                             ends_at=t0 + timedelta(days=1))
        return member

    return put

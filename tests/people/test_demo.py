"""The demo organisation: about 40 people, full teams, every main role on duty, loadable twice."""
from datetime import date, datetime, time

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from lifeline.people import services
from lifeline.people.demo import load_demo
from lifeline.people.models import CheckIn, ContactChannel, Member, RosterRotation, Shift, TeamMembership

pytestmark = pytest.mark.django_db

MAIN_ROLES = ["commander", "duty_it", "tech_lead", "dba", "network_admin", "clinical_lead", "comms_lead",
              "onsite_lead", "vendor"]


def counts():
    return [model.objects.count() for model in (Member, TeamMembership, ContactChannel, RosterRotation, Shift,
                                                CheckIn)]


def test_demo_loads_twice_without_duplicates(clock):
    today = date(2025, 3, 3)
    clock.freeze(timezone.make_aware(datetime.combine(today, time(10, 0))))
    first = load_demo(today, password="demo-pass-123")
    before = counts()
    second = load_demo(today, password="demo-pass-123")
    assert counts() == before
    assert first == second
    assert 35 <= first["members"] <= 45
    assert set(first["users"]) == {"指挥", "值班", "部门", "审计"}
    duty = get_user_model().objects.get(username=first["users"]["值班"][0])
    assert duty.check_password("demo-pass-123") and duty.member.user == duty


def test_demo_fills_teams_and_the_roster_for_a_month(clock):
    today = date(2025, 3, 3)
    clock.freeze(timezone.make_aware(datetime.combine(today, time(3, 0))))  # before the 08:00 handover
    load_demo(today, password="demo-pass-123")
    assert services.team_gaps() == []
    for moment in (clock.now(), clock.advance(days=29)):
        for role in MAIN_ROLES:
            assert services.on_duty(role, moment) is not None, (role, moment)
            assert services.on_duty(role, moment, kind="backup") not in (None, services.on_duty(role, moment))

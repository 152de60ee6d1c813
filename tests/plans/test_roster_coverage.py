"""Roles a plan pages and the duty rosters: the demo roster covers every role a bundled plan pages
(so no demo incident says "信息中心主任 无人值班，无法呼叫"), and `lifeline plan check --roster` and the
plan page warn about a role no roster covers."""
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from lifeline.accounts.roles import Role
from lifeline.incidents import lifecycle
from lifeline.incidents.models import TimelineEntry
from lifeline.people import demo as people_demo
from lifeline.people.models import PLAN_ROLES, RosterRotation, Shift
from lifeline.plans import coverage, services
from tests.plans.seeds import bundled_file

pytestmark = pytest.mark.django_db


def test_a_plan_pages_its_levels_leads_notify_roles_chain_and_step_owners():
    plan = services.read_plan(bundled_file("003"))
    paged = {p.role: p for p in coverage.paged_roles(plan)}
    assert "levels.level_1.lead" in paged["it_director"].why
    assert paged["it_director"].title == "信息中心主任"
    assert {"registrar", "cashier", "finance_lead"} <= set(paged)  # the departments group has no lead


def test_the_demo_roster_covers_every_role_a_bundled_plan_pages():
    rostered = {role for role, _hours, _names in people_demo.ROTATIONS}
    assert rostered <= set(PLAN_ROLES)  # the roster page names each role in words, not by its id
    for path in services.bundled_paths():
        plan = services.read_plan(path)
        assert [p.role for p in coverage.uncovered(plan, rostered)] == [], plan.id


def test_plan_check_with_roster_warns_about_uncovered_roles():
    out = StringIO()
    call_command("plan", "check", str(bundled_file("003")), "--roster", stdout=out)
    text = out.getvalue()
    warning = "no duty roster covers it_director (信息中心主任); paged by"
    line = next(line for line in text.splitlines() if warning in line)
    assert "levels.level_1.lead" in line
    assert "roster warning(s)" in text
    out = StringIO()
    call_command("plan", "check", str(bundled_file("003")), stdout=out)  # without --roster: no warnings
    assert "roster" not in out.getvalue()


def test_the_demo_pages_plan_003s_lead_and_check_has_nothing_to_say(clock):
    clock.freeze(datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    services.load_files([bundled_file("003")])
    people_demo.load_demo(date(2026, 11, 22), password="demo-pass-123")
    assert RosterRotation.objects.filter(role="it_director").exists()
    assert Shift.objects.filter(role="it_director").exists()
    out = StringIO()
    call_command("plan", "check", "--bundled", "--roster", stdout=out)
    assert "every paged role on a roster" in out.getvalue() and "warning" not in out.getvalue()

    incident = lifecycle.open_incident(plan_id="general_hospital_his", title="主数据库不可用", level_id="level_1")
    pages = incident.timeline.filter(kind=TimelineEntry.Kind.PAGE)
    assert pages.exists()
    assert not [e.text for e in pages if "无人值班" in e.text or "Nobody on duty" in e.text]


def test_the_plan_page_warns_about_uncovered_roles(make_user, client):
    services.load_files([bundled_file("003")])
    client.force_login(make_user("boss", Role.COMMANDER))
    page = client.get(reverse("plans:detail", args=["general_hospital_his"])).content.decode()
    assert 'id="uncovered-roles"' in page and "信息中心主任" in page
    for paged in coverage.paged_roles(services.active_version("general_hospital_his").content):
        RosterRotation.objects.create(role=paged.role, name=paged.role,
                                      starts_at=datetime(2026, 11, 22, tzinfo=ZoneInfo("UTC")))
    page = client.get(reverse("plans:detail", args=["general_hospital_his"])).content.decode()
    assert 'id="uncovered-roles"' not in page

"""Duty cards reach the hospital's departments: the plan's card departments (挂号处, 护士分诊 …) are
mapped to the organisation's (门诊部, 护理部 …) on the plan page; the ten-card downtime drill of
plan 003 (the desktop emergency system, level 1) is seen and acknowledged by every department,
and the incident page says who has seen and who has acknowledged each card."""
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from lifeline.accounts.roles import Role
from lifeline.incidents import cards, lifecycle
from lifeline.incidents.models import DutyCardActivation
from lifeline.people import demo as people_demo
from lifeline.people.models import Member
from lifeline.plans import departments as plan_departments
from lifeline.plans.models import DepartmentMapping
from tests.plans.seeds import bundled_file

pytestmark = pytest.mark.django_db

PLAN = "general_hospital_his"


@pytest.fixture
def hospital(t0):
    """Plan 003 and the demo organisation, its departments mapped as `lifeline demo` maps them."""
    from lifeline.plans import services as plans

    plans.load_files([bundled_file("003")])
    people_demo.load_demo(date(2026, 11, 22), password="demo-pass-123")
    return plans


def map_as_demo():
    for plan_department, departments in people_demo.DEPARTMENTS[PLAN].items():
        plan_departments.set_mapping(PLAN, plan_department, departments)


def drill():
    return lifecycle.open_incident(plan_id=PLAN, title="桌面应急演练", scenario_id="desktop_emergency_system",
                                   level_id="level_1", is_drill=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_unmapped_card_departments_reach_nobody_and_the_plan_page_says_so(hospital, make_user):
    content = hospital.active_version(PLAN).content
    assert set(plan_departments.unmatched(PLAN, content)) >= {"挂号处", "护士分诊", "收费处"}
    commander = make_user("boss", Role.COMMANDER)
    page = client_for(commander).get(reverse("plans:detail", args=[PLAN])).content.decode()
    assert 'id="unmatched-departments"' in page and "挂号处" in page

    incident = drill()
    registration = incident.duty_cards.get(card_id="registration")
    clerk = Member.objects.get(user__username="zhaomin")  # 门诊部
    assert not cards.reaches(registration, clerk)

    map_as_demo()
    assert plan_departments.unmatched(PLAN, content) == []
    assert cards.reaches(registration, clerk)
    page = client_for(commander).get(reverse("plans:detail", args=[PLAN])).content.decode()
    assert 'id="unmatched-departments"' not in page


def test_the_plan_page_edits_the_mapping_for_plan_editors_only(hospital, make_user):
    content = hospital.active_version(PLAN).content
    url = reverse("plans:departments", args=[PLAN])
    index = plan_departments.card_departments(content).index("挂号处")
    department = client_for(make_user("clerk", Role.DEPARTMENT))
    assert department.post(url, {f"department-{index}": "门诊部"}).status_code == 403
    assert not DepartmentMapping.objects.exists()
    auditor = client_for(make_user("auditor", Role.AUDITOR))  # reads the table, gets no form to submit
    page = auditor.get(reverse("plans:detail", args=[PLAN])).content.decode()
    assert "挂号处" in page and url not in page

    commander = client_for(make_user("boss", Role.COMMANDER))
    response = commander.post(url, {f"department-{index}": "门诊部、财务处"}, follow=True)
    assert response.status_code == 200
    assert plan_departments.mapping(PLAN) == {"挂号处": ["门诊部", "财务处"]}
    assert "仍然没有部门接收" in response.content.decode()  # the others are still unmatched
    commander.post(url, {f"department-{index}": "挂号处"})  # back to its own name: no row
    assert plan_departments.mapping(PLAN) == {}


def test_the_ten_card_downtime_drill_reaches_every_department(hospital, make_user):
    map_as_demo()
    incident = drill()
    activations = list(incident.duty_cards.all())
    assert len(activations) == 10

    # Every card reaches at least one department user of the demo, who sees only their own cards.
    staff = [m for m in Member.objects.filter(user__groups__name=Role.DEPARTMENT.value).select_related("user")]
    reached = {a.card_id: [m for m in staff if cards.reaches(a, m)] for a in activations}
    assert all(reached.values()), [card for card, people in reached.items() if not people]
    for member in staff:
        mine = {a.card_id for a in activations if cards.reaches(a, member)}
        client = client_for(member.user)
        page = client.get(reverse("incidents:duty_cards")).content.decode()
        shown = {a.card_id for a in activations if f'id="card-{incident.pk}-{a.card_id}"' in page}
        assert shown == mine, member.department
        for card_id in mine:
            if not DutyCardActivation.objects.get(incident=incident, card_id=card_id).acknowledged_at:
                client.post(reverse("incidents:act", args=[incident.pk, "card"]),
                            {"card": card_id, "next": reverse("incidents:duty_cards")})
    assert list(cards.unacknowledged_cards(incident)) == []

    # IT sees, for each card, who has seen it and who acknowledged it.
    it = client_for(Member.objects.get(user__username="zhangwei").user)
    page = it.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    seen = cards.seen_by(incident)
    for activation in incident.duty_cards.select_related("acknowledged_by"):
        assert seen[activation.card_id], activation.card_id
        row = page.split(f'id="duty-card-{activation.card_id}"')[1].split("</tr>")[0]
        assert "已查看" in row and "已确认" in row
        assert activation.acknowledged_by.first_name in row
        for entry in seen[activation.card_id]:
            assert entry.actor.first_name in row
    assert "黄丽" in page and "赵敏" in page and "周强" in page


def test_opening_the_card_again_is_recorded_once(hospital):
    map_as_demo()
    incident = drill()
    nurse = Member.objects.get(user__username="huangli").user  # 护理部: 护士分诊 and 住院科室
    client = client_for(nurse)
    client.get(reverse("incidents:duty_cards"))
    client.get(reverse("incidents:duty_cards"))
    assert sorted(cards.seen_by(incident)) == ["inpatient", "triage"]
    assert all(len(entries) == 1 for entries in cards.seen_by(incident).values())

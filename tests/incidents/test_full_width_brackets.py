"""Issue 13: a Chinese page writes brackets full-width ("孔亮（保卫处）"), an English one ASCII
("孔亮 (保卫处)"): the brackets come from the translation ("a name with a note"), never from
the code, in the incident page's member drop-down, a skipped step's reason on the timeline,
triage's open incidents, and the people pages' members and teams."""
import pytest
from django.utils import translation

from lifeline.accounts.roles import Role
from lifeline.incidents import checklist, lifecycle
from lifeline.people.models import Member, Team, TeamMembership

pytestmark = pytest.mark.django_db


@pytest.fixture
def downtime(load_seed, t0):
    load_seed("003")
    return lifecycle.open_incident(plan_id="general_hospital_his", title="HIS 停机",
                                   scenario_id="desktop_emergency_system")


@pytest.fixture
def duty(client, make_user):
    client.force_login(make_user("duty", Role.DUTY))


def speaking(client, settings, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


@pytest.mark.parametrize(("language", "shown"), [("zh-hans", "孔亮（保卫处）"), ("en", "孔亮 (保卫处)")])
def test_the_member_drop_down_brackets_the_department_as_the_language_writes(
        client, settings, duty, downtime, language, shown):
    Member.objects.create(name="孔亮", phone="13900000031", department="保卫处")
    speaking(client, settings, language)
    html = client.get(f"/incidents/{downtime.pk}/").content.decode()
    assert f">{shown}</option>" in html


def test_a_skipped_steps_reason_is_in_full_width_brackets_on_a_chinese_timeline(client, settings, duty, downtime):
    step = downtime.checklist.first()
    checklist.skip(downtime, step.pk, "已由厂商处理")
    assert downtime.timeline.last().text == f"步骤已跳过：{step.title}（已由厂商处理）"
    speaking(client, settings, "zh-hans")
    html = client.get(f"/incidents/{downtime.pk}/").content.decode()
    assert "：已由厂商处理" in html and ": 已由厂商处理" not in html  # the checklist's state, then why


def test_triage_lists_open_incidents_with_their_state_in_full_width_brackets(client, settings, duty, downtime):
    speaking(client, settings, "zh-hans")
    html = client.get("/incidents/triage/").content.decode()
    assert f"#{downtime.pk} HIS 停机（已上报）</option>" in html


def test_the_people_page_brackets_teams_and_inactive_members_in_the_language(client, settings, make_user):
    client.force_login(make_user("commander", Role.COMMANDER))
    team = Team.objects.create(plan="his", plan_name="HIS 预案", name="技术组", code="tech")
    member = Member.objects.create(name="孔亮", phone="13900000031", department="保卫处", active=False)
    TeamMembership.objects.create(member=member, team=team)
    speaking(client, settings, "zh-hans")
    html = client.get("/people/").content.decode()
    assert "孔亮（已停用）" in html and "技术组（核心）" in html
    with translation.override("zh-hans"):
        assert str(team) == "技术组（HIS 预案）"
    with translation.override("en"):
        assert str(team) == "技术组 (HIS 预案)"

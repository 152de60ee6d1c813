"""A plan's groups become its teams on load, scoped to the plan, with the plan's own sizes; the
organisation page shows gaps against those numbers."""
import pytest
from django.urls import reverse

from lifeline.accounts.roles import Role
from lifeline.people.models import Member, Team, TeamMembership
from lifeline.people.resources import ImportRejected, MemberResource, import_xlsx
from lifeline.plans import services as plans
from tests.people.conftest import xlsx
from tests.plans.sample import PLAN_YAML
from tests.plans.seeds import bundled_file

pytestmark = pytest.mark.django_db


def teams_of(plan_id):
    return {t.code: (t.name, t.core_target, t.backup_target) for t in Team.objects.filter(plan=plan_id)}


def test_loading_a_plan_makes_its_groups_teams_with_its_own_sizes():
    plans.load_files([bundled_file("001")])
    assert teams_of("internet_hospital") == {
        "hq": ("互联网医院应急指挥部", 0, 0), "tech": ("技术组", 5, 3),
        "clinical": ("临床支持组", 5, 3), "comms": ("患者沟通组", 5, 3)}
    version = plans.load_files([bundled_file("000")])[0]
    hq = Team.objects.get(plan="procurement_platform_golive", code="hq")
    assert (hq.core_target, hq.backup_target, hq.plan_name) == (5, 0, version.content.name)
    assert Team.objects.filter(code="hq").count() == 2  # two plans, two hq teams
    assert teams_of("procurement_platform_golive")["onsite"][1:] == (8, 0)


def renamed_tech(text, new_id):
    return (text.replace("  - id: tech\n", f"  - id: {new_id}\n").replace("group: tech\n", f"group: {new_id}\n")
            .replace("notify: [tech]", f"notify: [{new_id}]"))


def test_a_new_version_updates_the_teams_and_keeps_nobody_out():
    plans.load_text(PLAN_YAML)
    assert set(teams_of("demo-his")) == {"hq", "tech"}
    sized = "    name: 技术保障组\n    members: {core: 4, backup: 2}\n"
    plans.load_text(PLAN_YAML.replace("    name: 技术组\n", sized))
    assert teams_of("demo-his")["tech"] == ("技术保障组", 4, 2)

    member = Member.objects.create(name="刘洋", phone="13900000001")
    TeamMembership.objects.create(member=member, team=Team.objects.get(plan="demo-his", code="tech"))
    plans.load_text(renamed_tech(PLAN_YAML, "ops"))
    found = teams_of("demo-his")
    assert found["ops"] == ("技术组", 0, 0) and found["tech"][1:] == (0, 0)  # gone from the plan, someone in it
    assert Team.objects.get(plan="demo-his", code="tech").memberships.count() == 1
    plans.load_text(renamed_tech(PLAN_YAML, "ops2"))
    assert set(teams_of("demo-his")) == {"hq", "tech", "ops2"}  # ops had nobody: deleted


def test_loading_without_activating_changes_no_team():
    plans.load_text(PLAN_YAML)
    plans.load_text(PLAN_YAML.replace("    name: 技术组\n", "    name: 技术组\n    members: {core: 9}\n"),
                    activate=False)
    assert teams_of("demo-his")["tech"][1] == 0


def test_the_organisation_page_shows_gaps_against_each_plans_numbers(client, make_user):
    plans.load_files([bundled_file("001"), bundled_file("003")])
    member = Member.objects.create(name="周建华", phone="13900000002")
    TeamMembership.objects.create(member=member, team=Team.objects.get(plan="internet_hospital", code="tech"))
    client.force_login(make_user("auditor", Role.AUDITOR))
    page = client.get(reverse("people:organisation")).content.decode()
    assert 'id="team-internet_hospital-tech"' in page and 'id="team-general_hospital_his-hq"' in page
    assert "1/5（缺员）" in page and "0/3（缺员）" in page  # the plan's 5 core and 3 backup
    start = page.index('id="plan-teams-general_hospital_his"')
    following = page.find('id="plan-teams-', start + 1)  # plans come in either order
    his = page[start:following if following > 0 else len(page)]
    assert "team-general_hospital_his-hq" in his and "缺员" not in his  # seed 003 names no sizes: no gaps


def test_a_spreadsheet_names_a_team_of_a_plan_by_plan_and_code():
    plans.load_files([bundled_file("001"), bundled_file("000")])
    with pytest.raises(ImportRejected, match="hq") as refused:
        import_xlsx(MemberResource(), xlsx(["name", "phone", "teams"], ["刘洋", "13900000003", "hq:core"]))
    assert "internet_hospital/hq" in str(refused.value) and "procurement_platform_golive/hq" in str(refused.value)
    import_xlsx(MemberResource(), xlsx(["name", "phone", "teams"],
                                       ["刘洋", "13900000003", "internet_hospital/hq:core, tech:backup:lead"]))
    seats = {(m.team.plan, m.team.code, m.kind, m.lead) for m in Member.objects.get(name="刘洋").memberships.all()}
    assert seats == {("internet_hospital", "hq", "core", False), ("internet_hospital", "tech", "backup", True)}


def test_a_long_group_name_is_cut_to_the_teams_column():
    long_name = "各级医疗保障部门、经办机构及定点医疗机构" * 8
    plans.load_text(PLAN_YAML.replace("    name: 技术组\n", f"    name: {long_name}\n"))
    team = Team.objects.get(plan="demo-his", code="tech")
    assert team.name == long_name[:100]

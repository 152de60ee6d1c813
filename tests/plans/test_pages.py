"""Plan pages as a logged-in user sees them; the binder downloads."""
import io

import pytest
from docx import Document
from pypdf import PdfReader

from lifeline.accounts.roles import Role
from lifeline.plans import services
from lifeline.plans.templatetags.plan_terms import source_words

pytestmark = pytest.mark.django_db


@pytest.fixture
def his(db):
    """The bundled general-hospital HIS plan (seed 003), loaded and active."""
    [path] = [p for p in services.bundled_paths() if p.name.startswith("003_")]
    return services.load_files([path])[0]


@pytest.fixture
def user_client(client, make_user):
    client.force_login(make_user("ward", Role.DEPARTMENT))
    return client


def test_plan_list_shows_each_active_plan_with_its_counts(user_client, his):
    page = user_client.get("/plans/").content.decode()
    plan = his.content
    assert plan.name in page and plan.organisation in page and plan.version in page
    assert plan.review_date.isoformat() in page
    assert f"/plans/{plan.id}/" in page
    row = page[page.index(plan.name):]
    row = row[:row.index("</tr>")]
    counts = [len(plan.scenarios), len(plan.levels), len(plan.duty_cards)]
    assert [f"<td>{n}</td>" in row for n in counts] == [True] * 3


def test_plan_page_shows_organisation_levels_scenarios_history_and_downloads(user_client, his):
    plan = his.content
    page = user_client.get(f"/plans/{plan.id}/").content.decode()
    for text in (plan.groups[0].name, plan.roles[0].title, plan.levels[0].name, plan.duty_cards[0].department):
        assert text in page
    for scenario in plan.scenarios:
        assert f'href="/plans/{plan.id}/scenarios/{scenario.id}/">{scenario.name}</a>' in page
    assert f'href="/plans/{plan.id}/binder.pdf"' in page and f'href="/plans/{plan.id}/binder.docx"' in page
    assert his.sha256[:12] in page and f"v{his.number}" in page


def test_plan_page_says_its_source_in_words_and_keeps_the_ids_in_its_details(user_client, his):
    page = user_client.get(f"/plans/{his.plan_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    main, details = page.split('<details class="plan-details">', 1)
    details = details.split("</details>", 1)[0]
    assert '<p class="plan-source">来源：《医院信息系统应急方案》</p>' in main
    assert "<summary>详细信息</summary>" in details and f"<code>{his.plan_id}</code>" in details
    assert "seeds/" not in page and his.plan_id not in main.replace(f"/plans/{his.plan_id}/", "")


@pytest.mark.parametrize("source, words", [
    ("信息中心《HIS系统故障应急预案》2024版", "信息中心《HIS系统故障应急预案》2024版"),
    ("seeds/003_1f5c248d43d0b81f.txt", "003_1f5c248d43d0b81f.txt"),
    ("D:\\预案\\HIS应急预案.docx", "HIS应急预案.docx"),
    ("", ""),
])
def test_a_source_written_as_a_path_is_shown_as_the_files_name(source, words):
    assert source_words(source) == words


def test_scenario_page_shows_risk_tree_steps_and_owner_titles(user_client, his):
    plan = his.content
    scenario = next(s for s in plan.scenarios if s.decision_tree)
    page = user_client.get(f"/plans/{plan.id}/scenarios/{scenario.id}/").content.decode()
    titles = {r.id: r.title for r in plan.roles}
    assert scenario.risk in page
    assert scenario.steps[0].title in page and titles[scenario.steps[0].owner] in page
    start = next(n for n in scenario.decision_tree.nodes if n.id == scenario.decision_tree.start)
    assert start.question in page and start.answers[0].answer in page


def test_scenario_page_shows_timers_from_the_start_of_the_incident(user_client):
    """Seed 004 switches to standalone and manual work after set times."""
    [path] = [p for p in services.bundled_paths() if p.name.startswith("004_")]
    plan = services.load_files([path])[0].content
    scenario = next(s for s in plan.scenarios if s.timers)
    page = user_client.get(f"/plans/{plan.id}/scenarios/{scenario.id}/").content.decode()
    for timer in scenario.timers:
        assert timer.action.text in page
    assert "T+" in page and "unless resolved by then" in page


def test_unknown_plan_or_scenario_is_not_found(user_client, his):
    assert user_client.get("/plans/no-such-plan/").status_code == 404
    assert user_client.get(f"/plans/{his.plan_id}/scenarios/no-such-scenario/").status_code == 404
    assert user_client.get("/plans/no-such-plan/binder.pdf").status_code == 404


def test_duty_cards_page_has_a_heading_per_department(user_client, his):
    page = user_client.get(f"/plans/{his.plan_id}/duty-cards/").content.decode()
    for card in his.content.duty_cards:
        assert f"<h2>{card.department}</h2>" in page
    assert "输入当年发票号" in page


def test_binder_downloads_as_pdf_and_word(user_client, his):
    response = user_client.get(f"/plans/{his.plan_id}/binder.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{his.plan_id}-v{his.number}-binder.pdf"'
    assert his.content.name in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()

    response = user_client.get(f"/plans/{his.plan_id}/binder.docx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument")
    assert any(p.text == his.content.name for p in Document(io.BytesIO(response.content)).paragraphs)


@pytest.mark.parametrize("path", ["/plans/", "/plans/x/", "/plans/x/scenarios/y/", "/plans/x/duty-cards/",
                                  "/plans/x/binder.pdf"])
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={path}")


def test_a_department_name_too_long_is_refused_beside_its_field(client, make_user, his):
    from lifeline.plans import departments as plan_departments
    from lifeline.plans.models import DepartmentMapping

    client.force_login(make_user("boss", Role.COMMANDER))
    index = plan_departments.card_departments(his.content).index("挂号处")
    answer = client.post(f"/plans/{his.plan_id}/departments/", {f"department-{index}": "门诊部、" + "财" * 101},
                         HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 200 and not DepartmentMapping.objects.exists()
    html = answer.content.decode()
    field = html[html.rindex('<div class="field', 0, html.index(f'name="department-{index}"')):]
    assert field.startswith('<div class="field field-error">') and "最多 100 个字" in field.split("</div>")[0]
    assert 'value="门诊部、' in field.split("</div>")[0]  # what was typed is kept

"""The plan page says, per preparedness measure, which running check backs it, or that it is
paper only; apps above plans register their checks per kind."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.plans import preparedness, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def his_failure(db):
    """Seed 004's plan: daily inspections, backups, spare parts and antivirus checks."""
    [path] = [p for p in services.bundled_paths() if p.name.startswith("004_")]
    return services.load_files([path])[0]


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test, the installed apps' registrations put back afterwards."""
    monkeypatch.setattr(preparedness, "_checks", {})
    return preparedness


def test_a_kind_outside_the_plan_schema_is_refused_at_registration(registry):
    with pytest.raises(ValueError, match="backups"):
        registry.register("backups", lambda plan_id, measure: None)


def test_plan_page_shows_backed_measures_with_their_link_and_the_rest_as_paper_only(
        client, make_user, registry, his_failure):
    def daily_round(plan_id, measure):
        if measure.id == "server_check":
            return preparedness.Backing(f"每日巡检（{plan_id}）", "/inspections/checklists/7/")
        return None

    registry.register("inspection", daily_round)
    client.force_login(make_user("ward", Role.DEPARTMENT))
    page = client.get(f"/plans/{his_failure.plan_id}/").content.decode()
    row = page[page.index("Daily server check"):]
    row = row[:row.index("</tr>")]
    assert '<a href="/inspections/checklists/7/">每日巡检（his_failure）</a>' in row
    paper = page[page.index("Daily database status check"):]
    assert "paper-only" in paper[:paper.index("</tr>")]

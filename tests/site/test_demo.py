"""`lifeline demo`: a complete demo hospital a newcomer can click through."""
import io

import pytest
from django.core.management import call_command

from lifeline.people import services
from lifeline.people.models import Member, Shift, Team
from lifeline.plans.models import PlanVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(tmp_path, settings):
    """The demo's HIS, snapshot keys and packages go to a temporary data directory."""
    settings.DATA_DIR = tmp_path
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    settings.SNAPSHOT_KEY_FILE = None


def run_demo(monkeypatch, password):
    monkeypatch.setenv("LIFELINE_ADMIN_PASSWORD", password)
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_demo_loads_five_plans_forty_members_a_month_of_rosters_and_an_admin(client, monkeypatch):
    output = run_demo(monkeypatch, "demo-pass-123")
    assert PlanVersion.objects.filter(is_active=True).count() == 5
    assert Member.objects.count() >= 40
    first, last = Shift.objects.order_by("starts_at").first(), Shift.objects.order_by("-ends_at").first()
    assert (last.ends_at - first.starts_at).days >= 28
    block = output.rstrip().splitlines()[-8:]  # the logins come last, with the one password
    assert "  password   demo-pass-123" in block and "  admin      admin" in block
    assert any(line.startswith("  指挥") for line in block) and any(line.startswith("  部门") for line in block)
    # Seed 001's groups are the demo organisation's teams, staffed to the plan's 5 core and 3 backup.
    staffed = {gap.team.code for gap in services.team_gaps() if gap.team.plan == "internet_hospital"}
    assert Team.objects.filter(plan="internet_hospital").count() == 4 and staffed == set()
    response = client.post("/accounts/login/", {"username": "admin", "password": "demo-pass-123"})
    assert response.status_code == 302 and client.get("/admin/").status_code == 200


def test_demo_twice_changes_no_counts_and_prints_a_generated_password(monkeypatch):
    run_demo(monkeypatch, "demo-pass-123")
    counts = (PlanVersion.objects.count(), Member.objects.count(), Shift.objects.count())
    monkeypatch.delenv("LIFELINE_ADMIN_PASSWORD")
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert (PlanVersion.objects.count(), Member.objects.count(), Shift.objects.count()) == counts
    generated = out.getvalue().split("  password   ")[1].split()[0]
    assert len(generated) >= 12 and generated != "demo-pass-123"

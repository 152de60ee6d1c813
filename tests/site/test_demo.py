"""`lifeline demo`: a complete demo hospital a newcomer can click through."""
import io

import pytest
from django.core.management import call_command

from lifeline.people import services
from lifeline.people.models import Member, Shift, Team
from lifeline.plans.models import PlanVersion
from lifeline.reconciliation import demo as reconciliation_demo
from lifeline.reconciliation.models import PaperEntry, Reconciliation
from lifeline.recovery import demo as recovery_demo
from lifeline.recovery.models import ReceivedEvent

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
    counts = (PlanVersion.objects.count(), Member.objects.count(), Shift.objects.count(),
              ReceivedEvent.objects.count(), Reconciliation.objects.count(), PaperEntry.objects.count())
    monkeypatch.delenv("LIFELINE_ADMIN_PASSWORD")
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert (PlanVersion.objects.count(), Member.objects.count(), Shift.objects.count(),
            ReceivedEvent.objects.count(), Reconciliation.objects.count(), PaperEntry.objects.count()) == counts
    assert counts[3] > 30 and counts[4:] == (1, 2)
    generated = out.getvalue().split("  password   ")[1].split()[0]
    assert len(generated) >= 12 and generated != "demo-pass-123"


def test_demo_shows_the_commander_this_mornings_downtime_received_and_its_reconciliation(client, monkeypatch):
    """After `lifeline demo`, three stations' journals of the morning's downtime wait to be merged
    (/recovery/ lists each with its count), and /reconciliation/ lists the downtime's reconciliation
    with the emergency department's slips half entered."""
    output = run_demo(monkeypatch, "demo-pass-123")
    counts = {name: ReceivedEvent.objects.filter(station__name=name).count() for name in recovery_demo.STATIONS}
    assert all(count > 5 for count in counts.values()), counts
    assert ReceivedEvent.objects.filter(merged_at__isnull=False).count() == 0
    kinds = set(ReceivedEvent.objects.values_list("kind", flat=True))
    assert {"new_patient", "registration", "charge", "void", "prescription", "dispensing"} <= kinds
    assert ReceivedEvent.objects.filter(kind="charge", payload__settlement="pending_insurance").count() == 1
    assert "门诊挂号收费-01" in output
    assert Reconciliation.objects.count() == 1 and PaperEntry.objects.count() == 2

    client.post("/accounts/login/", {"username": "lijianguo", "password": "demo-pass-123"})
    page = client.get("/recovery/")
    assert page.status_code == 200
    text = page.content.decode()
    for name, count in counts.items():
        assert name in text and str(count) in text
    assert client.get("/recovery/merge/").status_code == 200
    listing = client.get("/reconciliation/")
    assert listing.status_code == 200 and reconciliation_demo.TITLE in listing.content.decode()
    rec = Reconciliation.objects.get()
    assert rec.incident.status == "resolved" and rec.signed_off_at is None
    assert client.get(f"/reconciliation/{rec.pk}/").status_code == 200

"""Incident pages: the command dashboard and the problem tracking table with 100,000 incidents,
against the same pages on an empty database in the same run.

Runs on a throwaway SQLite file (or LIFELINE_DATABASE_URL if set: use a database of your own).
Each page is rendered server-side through Django's test client; the figure is the median of
RUNS renders. The 100,000 incidents are mostly closed history (each with a report and its
timeline), plus OPEN incidents opened through the services with a scenario, so the dashboard
has checklists, timers and roles to show.
Prints one line per page: empty, full, ratio.
"""
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import django

TOTAL = int(os.environ.get("BENCH_INCIDENTS", "100000"))
OPEN = 30
RUNS = 5
tmp = Path(tempfile.mkdtemp(prefix="lifeline-bench-"))
os.environ.setdefault("LIFELINE_DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
os.environ.setdefault("LIFELINE_DATA_DIR", str(tmp))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifeline.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from lifeline.accounts.roles import Role, assign_role  # noqa: E402
from lifeline.core import clock  # noqa: E402
from lifeline.incidents import intake, lifecycle  # noqa: E402
from lifeline.incidents.models import Incident, Report, TimelineEntry  # noqa: E402
from lifeline.plans import services as plans  # noqa: E402
from lifeline.plans.models import PlanVersion  # noqa: E402

PAGES = [("dashboard", "/incidents/"), ("tracking table", "/incidents/tracking/"),
         ("tracking, filtered", "/incidents/tracking/?status=closed&level=class_2&drill=none"),
         ("tracking, page 200", "/incidents/tracking/?page=200")]
BATCH = 5000


def render(client, path):
    times, queries = [], 0
    for _ in range(RUNS):
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(path)
        times.append(time.perf_counter() - start)
        assert answer.status_code == 200, (path, answer.status_code)
        queries = len(captured)
    return statistics.median(times), queries


def fill(plan_id):
    """TOTAL - OPEN closed incidents with a report and two timeline entries each, then OPEN open ones."""
    version = PlanVersion.objects.get(plan_id=plan_id, is_active=True)
    levels = [lv.id for lv in version.content.levels]
    start = clock.now() - timedelta(days=3 * 365)
    made = 0
    while made < TOTAL - OPEN:
        count = min(BATCH, TOTAL - OPEN - made)
        incidents = []
        for n in range(made, made + count):
            at = start + timedelta(minutes=15 * n)
            incidents.append(Incident(
                title=f"历史故障 {n}", plan_version=version, level_id=levels[n % len(levels)], status="closed",
                opened_at=at, acknowledged_at=at + timedelta(minutes=4), resolved_at=at + timedelta(hours=2),
                closed_at=at + timedelta(days=1), respond_by=at + timedelta(minutes=10),
                resolve_by=at + timedelta(hours=4), is_drill=n % 10 == 0, scope="region"))
        incidents = Incident.objects.bulk_create(incidents)
        Report.objects.bulk_create(Report(
            number=f"BG-HIST-{i.pk:07d}", department=f"科室 {i.pk % 40}", description="HIS 白屏", contact="8021",
            created_at=i.opened_at, incident=i, triaged_at=i.opened_at) for i in incidents)
        TimelineEntry.objects.bulk_create(entry for i in incidents for entry in (
            TimelineEntry(incident=i, at=i.opened_at, kind="opened", text="Incident opened", actor_name="bench"),
            TimelineEntry(incident=i, at=i.resolved_at, kind="status", text="Status acknowledged → resolved",
                          actor_name="bench", data={"old": "acknowledged", "new": "resolved", "note": "已修复"})))
        made += count
    for n in range(OPEN):
        lifecycle.open_incident(plan_id=plan_id, title=f"进行中 {n}", scenario_id="regional_fault", scope="region",
                                reports=[intake.submit_report(department="收费处", description="白屏",
                                                              contact="8021").number], is_drill=n % 5 == 0)
    for n in range(20):
        intake.submit_report(department="药房", description=f"待分诊 {n}", contact="8022")
    # Planner statistics, as a database that has been running would have them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main():
    setup_test_environment()
    call_command("migrate", verbosity=0)
    plan_id = plans.load_files([next(Path(plans.__file__).parent.glob("bundled/004_*.yaml"))])[0].plan_id
    user = get_user_model().objects.create_user("bench-auditor")
    assign_role(user, Role.AUDITOR)
    client = Client()
    client.force_login(user)

    empty = {name: render(client, path) for name, path in PAGES}
    started = time.perf_counter()
    fill(plan_id)
    print(f"{Incident.objects.count():,} incidents, {Report.objects.count():,} reports, "
          f"{TimelineEntry.objects.count():,} timeline entries made in {time.perf_counter() - started:.1f} s "
          f"({connection.vendor}, {RUNS} renders each, median)")
    for name, path in PAGES:
        full, queries = render(client, path)
        base, base_queries = empty[name]
        print(f"{name:<20} empty {base * 1000:8.1f} ms ({base_queries:2d} queries)   "
              f"{TOTAL:,} incidents {full * 1000:8.1f} ms ({queries:2d} queries)   ratio {full / base:6.2f}x")


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)

"""Statistics on a known set of incidents: counts by level and month, medians, p90, SLA compliance; drills left out."""
from datetime import datetime, timedelta

import pytest

from lifeline.analysis import statistics
from lifeline.incidents.models import Incident
from lifeline.plans.models import PlanVersion
from tests.analysis.conftest import SHANGHAI

pytestmark = pytest.mark.django_db
# Seed 002's levels: major (rank 2) respond 8 h, resolve 72 h; general (rank 3) respond 2 h, resolve 24 h.
SLA = {"critical": (timedelta(0), None), "major": (timedelta(hours=8), timedelta(hours=72)),
       "general": (timedelta(hours=2), timedelta(hours=24))}


@pytest.fixture
def known_set(load_seed, t0):
    """Five real incidents and one drill; the clock is at 2026-11-22 09:00."""
    version = PlanVersion.objects.get(plan_id=load_seed("002"), is_active=True)

    def make(level, opened, ack=None, resolve=None, drill=False):
        respond, resolution = SLA[level]
        Incident.objects.create(
            title=f"{level} {opened:%m-%d}", plan_version=version, level_id=level, opened_at=opened,
            respond_by=opened + respond, resolve_by=resolution and opened + resolution, is_drill=drill,
            acknowledged_at=ack and opened + ack, resolved_at=resolve and opened + resolve,
            status="resolved" if resolve else ("acknowledged" if ack else "reported"))

    day = lambda m, d: datetime(2026, m, d, 10, 0, tzinfo=SHANGHAI)  # noqa: E731
    make("general", day(10, 5), timedelta(hours=1), timedelta(hours=10))  # both deadlines met
    make("general", day(10, 20), timedelta(hours=3), timedelta(hours=30))  # both missed
    make("general", day(11, 2), timedelta(minutes=30))  # acknowledged in time, never resolved: missed
    make("major", day(11, 10), timedelta(hours=4), timedelta(hours=50))  # both met
    make("critical", day(11, 11), timedelta(hours=9), timedelta(hours=90), drill=True)  # a drill: left out
    make("general", t0 - timedelta(hours=1))  # neither deadline has come yet: not counted for them


def test_counts_by_level_and_month(known_set):
    found = statistics.compute()
    assert found.levels == ["重大故障", "一般故障"]  # most severe first; the drill's 特大故障 is absent
    assert found.months == [("2026-10", [0, 2], 2), ("2026-11", [1, 2], 3)]
    assert found.total.incidents == 5 and found.drills_excluded == 1


def test_times_and_sla_compliance(known_set):
    major, general = statistics.compute().rows
    assert (general.acknowledge.count, general.acknowledge.median, general.acknowledge.p90) == (
        3, timedelta(hours=1), timedelta(hours=3))
    assert (general.resolve.median, general.resolve.p90) == (timedelta(hours=20), timedelta(hours=30))
    assert (general.respond_sla.met, general.respond_sla.counted, general.respond_sla.pct) == (2, 3, 66.7)
    assert (general.resolve_sla.met, general.resolve_sla.counted, general.resolve_sla.pct) == (1, 3, 33.3)
    assert (major.acknowledge.median, major.respond_sla.pct, major.resolve_sla.pct) == (timedelta(hours=4), 100, 100)
    total = statistics.compute().total
    assert (total.respond_sla.pct, total.resolve_sla.pct) == (75.0, 50.0)


def test_the_pending_deadline_counts_once_it_passes(known_set, clock):
    clock.advance(hours=2)  # the newest general incident is now late to be acknowledged
    general = statistics.compute().rows[1]
    assert (general.respond_sla.met, general.respond_sla.counted) == (2, 4)


def test_p90_is_nearest_rank():
    assert statistics.p90(list(range(1, 11))) == 9
    assert statistics.p90([5]) == 5
    assert statistics.p90([1, 2]) == 2


def test_page_has_charts_and_tables(known_set, client, make_user):
    from lifeline.accounts.roles import Role

    client.force_login(make_user("audit", Role.AUDITOR))
    html = client.get("/analysis/statistics/").content.decode()
    assert html.count("<svg class=\"chart\"") == 2  # the legend's swatches are small svgs too
    assert html.count('<rect x=') == 3 + 6  # three stacked month bars; two SLA bars for each of 3 rows
    assert "2026-10 · 一般故障: 2" in html  # a bar's title says its number
    assert "<td>2026-11</td><td>1</td><td>2</td><td>3</td>" in html
    assert "66.7% (2/3)" in html and "33.3% (1/3)" in html and "75.0% (3/4)" in html


def test_statistics_json(known_set, client, make_user):
    from lifeline.accounts.roles import Role

    client.force_login(make_user("duty", Role.DUTY))
    data = client.get("/api/v1/analysis/statistics").json()
    assert data["months"][1] == {"month": "2026-11", "counts": {"重大故障": 1, "一般故障": 2}, "total": 3}
    general = data["levels_detail"][1]
    assert general["acknowledge"] == {"count": 3, "median_s": 3600.0, "p90_s": 10800.0}
    assert general["resolve_sla"] == {"counted": 3, "met": 1, "pct": 33.3}
    assert data["drills_excluded"] == 1

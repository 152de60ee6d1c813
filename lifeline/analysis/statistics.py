"""Incident statistics: how many, of which level, in which month; how fast; whether within the SLA.

Drills are left out (Incident.objects.real()). Levels of different plans are counted
together by name (what people read on the page), ordered by their rank. An incident that
is neither done nor past its deadline is not counted for that deadline yet.
"""
import math
import statistics as stats
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from lifeline.analysis.services import within
from lifeline.core import clock
from lifeline.incidents.models import Incident
from lifeline.plans.models import PlanVersion


@dataclass
class Durations:
    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None


@dataclass
class Compliance:
    counted: int = 0
    met: int = 0

    @property
    def pct(self) -> float | None:
        return round(100 * self.met / self.counted, 1) if self.counted else None


@dataclass
class Row:
    """One level's figures (or all levels', when `name` is empty)."""

    name: str
    incidents: int
    acknowledge: Durations
    resolve: Durations
    respond_sla: Compliance
    resolve_sla: Compliance


@dataclass
class Statistics:
    levels: list[str]  # names, most severe first
    months: list[tuple[str, list[int], int]]  # (YYYY-MM, count per level, total)
    rows: list[Row]  # one per level
    total: Row
    drills_excluded: int
    generated_at: datetime


def p90(values: list) -> object:
    """Nearest-rank 90th percentile: the smallest value that 90 % of the values do not exceed."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def durations(values: list[timedelta]) -> Durations:
    if not values:
        return Durations()
    return Durations(len(values), stats.median(values), p90(values))


def _level_names() -> dict[int, dict[str, tuple[int, str]]]:
    """{plan version id: {level id: (rank, name)}} for the versions incidents follow."""
    used = Incident.objects.values_list("plan_version_id", flat=True).distinct()
    return {version.pk: {lv.id: (lv.rank, lv.name) for lv in version.content.levels}
            for version in PlanVersion.objects.filter(pk__in=used)}


def _row(name: str, incidents: list[dict], now) -> Row:
    respond, resolve = Compliance(), Compliance()
    for i in incidents:
        for compliance, done, deadline in ((respond, i["acknowledged_at"], i["respond_by"]),
                                           (resolve, i["resolved_at"], i["resolve_by"])):
            verdict = within(done, deadline, now)
            if verdict is not None:
                compliance.counted += 1
                compliance.met += verdict
    return Row(
        name=name, incidents=len(incidents),
        acknowledge=durations([i["acknowledged_at"] - i["opened_at"] for i in incidents if i["acknowledged_at"]]),
        resolve=durations([i["resolved_at"] - i["opened_at"] for i in incidents if i["resolved_at"]]),
        respond_sla=respond, resolve_sla=resolve)


def compute() -> Statistics:
    now = clock.now()
    names = _level_names()
    found = list(Incident.objects.real().values(
        "plan_version_id", "level_id", "opened_at", "acknowledged_at", "resolved_at", "respond_by", "resolve_by"))
    ranks: dict[str, int] = {}
    by_level: dict[str, list[dict]] = defaultdict(list)
    counts: Counter = Counter()
    for i in found:
        rank, name = names.get(i["plan_version_id"], {}).get(i["level_id"], (math.inf, i["level_id"]))
        ranks[name] = min(rank, ranks.get(name, math.inf))
        by_level[name].append(i)
        counts[timezone.localtime(i["opened_at"]).strftime("%Y-%m"), name] += 1
    levels = sorted(ranks, key=lambda n: (ranks[n], n))
    months = sorted({month for month, _name in counts})
    return Statistics(
        levels=levels,
        months=[(m, [counts[m, n] for n in levels], sum(counts[m, n] for n in levels)) for m in months],
        rows=[_row(n, by_level[n], now) for n in levels], total=_row("", found, now),
        drills_excluded=Incident.objects.filter(is_drill=True).count(), generated_at=now)

"""The probes' history: raw readings for RAW_KEPT, hourly and daily rollups for ROLLUPS_KEPT.

A worker job rolls each finished hour of raw readings up (count, failures, latency average,
maximum and 95th percentile), then each finished day (in the hospital's time zone) from its
hours, then prunes: raw readings only once their hour is rolled up. A year of 5 s checks is
then 48 h of raw rows and 8,784 + 366 rollups per probe.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from lifeline.detection.models import Probe, ProbeChange, ProbeResult, ProbeRollup

RAW_KEPT = timedelta(hours=48)
ROLLUPS_KEPT = timedelta(days=366)
# An hour is rolled up once its last readings are surely in (a check takes at most its timeout).
SETTLE = timedelta(minutes=6)
# At most this much raw history is read per probe and run, so one run stays short.
SPAN_PER_RUN = timedelta(days=2)
Period = ProbeRollup.Period


@dataclass
class Summary:
    start: datetime
    count: int
    failures: int
    latency_avg_ms: float | None
    latency_max_ms: float | None
    latency_p95_ms: float | None

    @property
    def uptime(self) -> float | None:
        return 100 * (self.count - self.failures) / self.count if self.count else None


def floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def floor_day(at: datetime) -> datetime:
    return timezone.localtime(at).replace(hour=0, minute=0, second=0, microsecond=0)


def next_day(day: datetime) -> datetime:
    return floor_day(day + timedelta(hours=25))  # a day of 23, 24 or 25 hours


def summarise(start: datetime, readings) -> Summary:
    """One summary of (ok, latency_ms) readings."""
    readings = list(readings)
    latencies = sorted(latency for _ok, latency in readings if latency is not None)
    return Summary(start, len(readings), sum(1 for ok, _latency in readings if not ok),
                   sum(latencies) / len(latencies) if latencies else None,
                   latencies[-1] if latencies else None,
                   latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)] if latencies else None)


def combine(start: datetime, parts: list) -> Summary:
    """A day from its hours; its p95 is the worst hour's (an upper bound: "p95-ish")."""
    timed = [p for p in parts if p.latency_avg_ms is not None]
    weight = sum(p.count for p in timed)
    return Summary(start, sum(p.count for p in parts), sum(p.failures for p in parts),
                   sum(p.latency_avg_ms * p.count for p in timed) / weight if weight else None,
                   max((p.latency_max_ms for p in timed), default=None),
                   max((p.latency_p95_ms for p in timed), default=None))


# --- the worker job ------------------------------------------------------------------------

def keep(now: datetime):
    """The worker job: roll up what has finished, then prune what is past keeping."""
    roll_up(now)
    prune(now)


def roll_up(now: datetime) -> int:
    """Roll up every probe's finished hours and days; returns how many rollups were written."""
    end = floor_hour(now - SETTLE)
    written = 0
    for probe_id in Probe.objects.values_list("pk", flat=True):
        with transaction.atomic():
            # Another worker rolling this probe up holds it: it is that worker's turn.
            probe = Probe.objects.select_for_update(skip_locked=True).filter(pk=probe_id).first()
            if probe is not None:
                written += _roll_up_probe(probe, end)
    return written


def _roll_up_probe(probe: Probe, end: datetime) -> int:
    start = probe.rolled_until
    if start is None:
        first = probe.results.order_by("at").values_list("at", flat=True).first()
        if first is None:
            return 0
        start = floor_hour(first)
    end = min(end, start + SPAN_PER_RUN)
    if start >= end:
        return 0
    rows = probe.results.filter(at__gte=start, at__lt=end).order_by("at").values_list("at", "ok", "latency_ms")
    written = 0
    for hour, readings in groupby(rows, key=lambda row: floor_hour(row[0])):
        _store(probe, Period.HOUR, summarise(hour, ((ok, latency) for _at, ok, latency in readings)))
        written += 1
    day = floor_day(start)
    while next_day(day) <= end:
        hours = [_summary(r) for r in probe.rollups.filter(period=Period.HOUR, start__gte=day, start__lt=next_day(day))]
        if hours:
            _store(probe, Period.DAY, combine(day, hours))
            written += 1
        day = next_day(day)
    Probe.objects.filter(pk=probe.pk).update(rolled_until=end)
    return written


def _store(probe: Probe, period: str, summary: Summary):
    ProbeRollup.objects.update_or_create(
        probe=probe, period=period, start=summary.start,
        defaults={"count": summary.count, "failures": summary.failures, "latency_avg_ms": summary.latency_avg_ms,
                  "latency_max_ms": summary.latency_max_ms, "latency_p95_ms": summary.latency_p95_ms})


def _summary(rollup: ProbeRollup) -> Summary:
    return Summary(rollup.start, rollup.count, rollup.failures, rollup.latency_avg_ms, rollup.latency_max_ms,
                   rollup.latency_p95_ms)


def prune(now: datetime) -> int:
    """Drop raw readings past RAW_KEPT whose hour is rolled up, and rollups past ROLLUPS_KEPT."""
    raw = ProbeResult.objects.filter(Q(at__lt=now - RAW_KEPT) & Q(at__lt=F("probe__rolled_until"))).delete()[0]
    old = now - ROLLUPS_KEPT
    ProbeRollup.objects.filter(start__lt=old).delete()
    ProbeChange.objects.filter(at__lt=old).delete()
    return raw


# --- reading it back -----------------------------------------------------------------------

def hourly(probe: Probe, since: datetime, until: datetime) -> list[Summary]:
    """Hour by hour: the rollups, and the raw readings of the hours not rolled up yet."""
    rolled = min(probe.rolled_until or since, until)
    summaries = [_summary(r) for r in probe.rollups.filter(period=Period.HOUR, start__gte=since, start__lt=rolled)
                 .order_by("start")]
    rows = probe.results.filter(at__gte=max(since, rolled), at__lt=until).order_by("at") \
        .values_list("at", "ok", "latency_ms")
    for hour, readings in groupby(rows, key=lambda row: floor_hour(row[0])):
        summaries.append(summarise(hour, ((ok, latency) for _at, ok, latency in readings)))
    return summaries


def uptime(since: datetime) -> dict[int, float]:
    """Per probe, the share of good readings since then, in per cent (raw readings)."""
    counts = ProbeResult.objects.filter(at__gte=since).values("probe").annotate(
        total=Count("pk"), good=Count("pk", filter=Q(ok=True)))
    return {row["probe"]: 100 * row["good"] / row["total"] for row in counts}

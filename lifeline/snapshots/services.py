"""Snapshot schedules and freshness, decided from the build records and the injected clock.

    due_build(now)   -> "full", "incremental" or None: what the worker should build now
    run_due_build(now)  builds it (one build at a time; a running one makes this a no-op)
    freshness(now)   -> Freshness: how old the newest published package is, and whether stale
    report_freshness(now)  raises (or resolves) the stale-snapshot alert, through lifeline.core.alarms

Settings: LIFELINE_SNAPSHOT_MAPPING (no schedule without it), LIFELINE_SNAPSHOT_INCREMENTAL_MINUTES
(15), LIFELINE_SNAPSHOT_FULL_AT (local time, "02:00"), LIFELINE_SNAPSHOT_STALE_MINUTES (60).
"""
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.core import alarms
from lifeline.snapshots import builder
from lifeline.snapshots.models import SnapshotBuild
from lifeline.snapshots.publishing import BuildBusy

log = logging.getLogger("lifeline.snapshots")

ALERT_SOURCE = "continuity:freshness"
ALERT_FINGERPRINT = "snapshot-stale"
# The worker asks every 30 s (tasks.build_due_snapshot) and a build records its start a moment
# after the tick that started it: the tick N minutes later finds a little less than N minutes
# passed. Counted due within half a tick, an N-minute interval stays N minutes (not N + ½).
DUE_SLACK = timedelta(seconds=15)


def nightly_slot(now: datetime) -> datetime:
    """The latest time of day LIFELINE_SNAPSHOT_FULL_AT (hospital's zone) at or before `now`."""
    try:
        at = time.fromisoformat(settings.SNAPSHOT_FULL_AT)
    except ValueError:
        raise ValueError(f"LIFELINE_SNAPSHOT_FULL_AT: {settings.SNAPSHOT_FULL_AT!r} is not a time of day (HH:MM)") \
            from None
    local = timezone.localtime(now)
    slot = timezone.make_aware(datetime.combine(local.date(), at), local.tzinfo)
    return slot if slot <= local else slot - timedelta(days=1)


def due_build(now: datetime) -> str | None:
    """What to build now: a full package when none is published, when the nightly slot has passed
    since the last published full package, else an incremental every N minutes after the last
    attempt. A failed attempt counts for the interval, so a broken HIS is retried every N
    minutes, not every tick; a failed nightly full is retried as a full."""
    if not settings.SNAPSHOT_MAPPING:
        return None
    attempts = SnapshotBuild.objects.order_by("-started_at")
    last = attempts.first()
    retry_after = timedelta(minutes=settings.SNAPSHOT_INCREMENTAL_MINUTES)
    if last is not None and now - last.started_at < retry_after - DUE_SLACK:
        return None
    published = SnapshotBuild.objects.filter(status=SnapshotBuild.Status.PUBLISHED)
    last_full = published.filter(kind=SnapshotBuild.Kind.FULL).order_by("-started_at").first()
    if last_full is None or last_full.started_at < nightly_slot(now):
        return "full"
    return "incremental"


def run_due_build(now: datetime) -> SnapshotBuild | None:
    """Build what is due (the worker runs this on a thread); None when nothing is due or another
    build is running. A failed build is in its record; the log says so too."""
    kind = due_build(now)
    if kind is None:
        return None
    try:
        return builder.build(settings.SNAPSHOT_MAPPING, incremental=kind == "incremental", trigger="worker")
    except BuildBusy:
        return None
    except builder.BuildFailed as failed:
        log.warning("%s", failed)
        return failed.record


@dataclass(frozen=True)
class Freshness:
    configured: bool  # a mapping is set: snapshots are expected
    package_id: str | None
    data_at: datetime | None  # when the newest published package read the HIS
    age: timedelta | None
    threshold: timedelta
    stale: bool


def freshness(now: datetime) -> Freshness:
    """Age of the newest published package's data against LIFELINE_SNAPSHOT_STALE_MINUTES; stale
    also when snapshots are configured and none is published yet."""
    threshold = timedelta(minutes=settings.SNAPSHOT_STALE_MINUTES)
    newest = SnapshotBuild.objects.filter(status=SnapshotBuild.Status.PUBLISHED).order_by("-started_at").first()
    configured = bool(settings.SNAPSHOT_MAPPING)
    if newest is None:
        return Freshness(configured, None, None, None, threshold, stale=configured)
    age = now - newest.started_at
    return Freshness(configured, newest.package_id, newest.started_at, age, threshold, stale=age > threshold)


def report_freshness(now: datetime) -> Freshness:
    """Raise the stale-snapshot alarm while the newest package is too old; once a fresh one is
    published, say so (the detection app, which receives alarms, then resolves its alert)."""
    state = freshness(now)
    if state.stale:
        alarms.raise_alarm(source=ALERT_SOURCE, fingerprint=ALERT_FINGERPRINT, firing=True, summary=_summary(state),
                           labels={"package": state.package_id or ""})
    else:
        alarms.raise_alarm(source=ALERT_SOURCE, fingerprint=ALERT_FINGERPRINT, firing=False,
                           summary=_("Snapshot package %(package)s is fresh again") % {"package": state.package_id},
                           labels={"package": state.package_id or ""})
    return state


def _summary(state: Freshness) -> str:
    if state.age is None:
        return _("No snapshot package of the HIS base data is published; emergency workstations have nothing "
                 "to work with")
    return _("The newest snapshot package of the HIS base data is %(age)d minutes old (threshold %(limit)d "
             "minutes); emergency workstations work with old data") % {
        "age": state.age.total_seconds() // 60, "limit": state.threshold.total_seconds() // 60}

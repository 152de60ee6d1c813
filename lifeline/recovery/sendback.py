"""Sending back, per station (the 回写 page and its alarm): the events the station said it
holds, those the server received and merged, those held as conflicts, the last event's time;
a station in downtime that has not sent for SENDBACK_SILENT_MINUTES is flagged, and raises an
alarm (core.alarms, checked by the worker every minute) resolved once it sends again.

"Sent" is any delivery of its journal: a send by network (it reports its holdings even with
nothing new) or a USB file imported here.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from lifeline.core import alarms
from lifeline.recovery.models import ReceivedEvent, StationJournal
from lifeline.stations.models import Station

ALARM_SOURCE = "recovery:sendback"


@dataclass(frozen=True)
class SendBack:
    station: Station
    held: int | None  # as the station last said (None: it never said)
    held_reported_at: datetime | None
    received: int
    merged: int
    conflicts: int | None  # events held as open conflicts (None: merge-back has no conflicts yet)
    last_event_at: datetime | None
    last_sent_at: datetime | None
    silent: bool  # in downtime and not sent for a while

    @property
    def missing(self) -> int | None:
        """Events the station holds that the server has not received."""
        return None if self.held is None else max(self.held - self.received, 0)


def silent_after() -> timedelta:
    return timedelta(minutes=settings.SENDBACK_SILENT_MINUTES)


def states(now: datetime) -> list[SendBack]:
    """Every station in service, department and name order."""
    journals = {j.station_id: j for j in StationJournal.objects.all()}
    counts = {row["station"]: row for row in ReceivedEvent.objects.values("station").annotate(
        received=Count("id"), merged=Count("id", filter=Q(merged_at__isnull=False)))}
    conflicts = open_conflicts()
    found = []
    for station in Station.objects.filter(revoked_at__isnull=True).order_by("department", "name"):
        journal, count = journals.get(station.pk), counts.get(station.pk, {})
        sent_at = _last_sent(journal)
        found.append(SendBack(
            station, journal.held if journal and journal.held_reported_at else None,
            journal.held_reported_at if journal else None, count.get("received", 0), count.get("merged", 0),
            None if conflicts is None else conflicts.get(station.pk, 0), journal.last_event_at if journal else None,
            sent_at, _silent(station, sent_at, now)))
    return found


def open_conflicts() -> dict[int, int] | None:
    """Hook for merge-back's conflicts: {station id: events with an open conflict}, or None while
    the recovery app has no Conflict model."""
    try:
        conflict = apps.get_model("recovery", "Conflict")
    except LookupError:
        return None
    rows = conflict.objects.filter(state="open").values("event__station").annotate(
        events=Count("event", distinct=True))
    return {row["event__station"]: row["events"] for row in rows}


def _last_sent(journal: StationJournal | None) -> datetime | None:
    times = [t for t in (journal.received_at, journal.held_reported_at) if t] if journal else []
    return max(times, default=None)


def _silent(station: Station, sent_at: datetime | None, now: datetime) -> bool:
    """In downtime, and nothing came since the later of its last send and the declaration."""
    if station.mode != Station.Mode.DOWNTIME:
        return False
    since = max((t for t in (sent_at, station.mode_declared_at) if t), default=None)
    return since is None or now - since > silent_after()


def report_silent(now: datetime) -> list[SendBack]:
    """Raise the alarm of each station in downtime that has not sent for a while; resolve it once
    it sends again or downtime ends. Returns those firing."""
    firing = []
    for found in states(now):
        name = found.station.name
        summary = (_("Station %(name)s is in downtime and has not sent its journal back for more than %(minutes)d "
                     "minutes") if found.silent else
                   _("Station %(name)s sends its journal back again, or is out of downtime")) % {
            "name": name, "minutes": settings.SENDBACK_SILENT_MINUTES}
        alarms.raise_alarm(source=ALARM_SOURCE, fingerprint=f"station-{found.station.pk}-silent", firing=found.silent,
                           summary=summary, labels={"station": name})
        if found.silent:
            firing.append(found)
    return firing

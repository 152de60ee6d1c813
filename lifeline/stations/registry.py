"""Emergency workstations (应急工作站): their tokens, what they hold, and how old their data is.

    station, token = stations.create(name=..., department=...)   # the token is shown this once
    registry.find(token)       -> the station holding the token (not revoked), or None
    registry.record_holding(station, package_ids=[...], applied=..., now=...)
    registry.states(now)       -> [StationState]: each station's data age, stale or not
    registry.declare(mode, by=..., now=...)   # every station in service (or those given) in that mode
    registry.report_stale(now) # raises (or resolves) each reachable station's stale-data alarm

Only the token's SHA-256 is stored. A station's check-ins are StationCheckIn rows. Creating,
revoking and re-keying a station are audited; so is a check-in that changes what the station
holds (package, client version), while one that only says "still here" (check-in and
last-seen times) is not: check-ins come every few minutes.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.audit.bulk import audited_update
from lifeline.core import alarms
from lifeline.core.actor import acting_as
from lifeline.snapshots.models import SnapshotBuild
from lifeline.stations import distribution
from lifeline.stations.models import Station, StationCheckIn

# Tells a station's token from a user's API token (ll_…) at a glance.
TOKEN_PREFIX = "st_"
MAX_HELD = 100
ALARM_SOURCE = "continuity:stations"
# A station seen within this long is reachable: it pulls every 30 s, so its data being stale is
# a fault to fix (the pull fails, the chain does not verify), not a station switched off.
REACHABLE = timedelta(minutes=10)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(station: Station) -> str:
    """Give the station a fresh token; returns it (the only time it can be read)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    station.token_hash = token_digest(token)
    return token


def save_new(station: Station) -> str:
    """Store a checked new station with a fresh token; returns the token."""
    token = new_token(station)
    station.save()
    return token


@transaction.atomic
def create(*, name: str, department: str, location: str = "") -> tuple[Station, str]:
    """A new station and its token. ValidationError naming the field when the input is bad."""
    station = Station(name=(name or "").strip(), department=(department or "").strip(),
                      location=(location or "").strip())
    station.full_clean(exclude=["token_hash"])
    return station, save_new(station)


def revoke(station: Station, now: datetime):
    station.revoked_at = now
    station.save(update_fields=["revoked_at"])


def declare(mode: str, *, by: str, now: datetime, station_ids: list[int] | None = None) -> list[Station]:
    """Put the stations in service (all, or those of `station_ids`) in `mode`; each change is
    audited. Each station puts it in force on its next pull. ValidationError naming the field."""
    if mode not in Station.Mode.values:
        raise ValidationError({"mode": _("%(mode)s is not one of %(modes)s")
                               % {"mode": mode, "modes": ", ".join(Station.Mode.values)}})
    found = Station.objects.filter(revoked_at__isnull=True)
    if station_ids:
        found = found.filter(pk__in=station_ids)
        missing = set(station_ids) - set(found.values_list("pk", flat=True))
        if missing:
            raise ValidationError({"station_ids": _("no station in service with id %(ids)s")
                                   % {"ids": ", ".join(map(str, sorted(missing)))}})
    declared = []
    with transaction.atomic():
        for station in found.select_for_update():
            station.mode, station.mode_declared_by, station.mode_declared_at = mode, by[:150], now
            station.save(update_fields=["mode", "mode_declared_by", "mode_declared_at"])
            declared.append(station)
    return declared


def find(token: str) -> Station | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    return Station.objects.filter(token_hash=token_digest(token), revoked_at__isnull=True).first()


def seen(station: Station, now: datetime):
    Station.objects.filter(pk=station.pk).update(last_seen_at=now)


def record_holding(station: Station, *, package_ids: list[str], applied: str, now: datetime,
                   client_version: str = "", address: str | None = None) -> Station:
    """Store what the station says it holds. The data time of the package applied is taken from
    this server's build records, never from the station. ValidationError naming the field."""
    if len(package_ids) > MAX_HELD:
        raise ValidationError({"package_ids": _("at most %(n)d packages, not %(count)d")
                               % {"n": MAX_HELD, "count": len(package_ids)}})
    built = dict(SnapshotBuild.objects.filter(package_id__in=[*package_ids, applied],
                                              status=SnapshotBuild.Status.PUBLISHED)
                 .values_list("package_id", "started_at"))
    for i, package_id in enumerate(package_ids):
        if package_id not in built:
            raise ValidationError({f"package_ids[{i}]": _("no package %(id)s was published by this server")
                                   % {"id": package_id}})
    if applied and applied not in package_ids:
        raise ValidationError({"applied": _("%(id)s is not among the packages held") % {"id": applied}})
    with transaction.atomic():
        StationCheckIn.objects.create(station=station, at=now, package_ids=package_ids, applied=applied,
                                      client_version=client_version, address=address)
        with acting_as(f"station:{station.name}"[:150]):
            audited_update(Station.objects.filter(pk=station.pk), unrecorded={"checked_in_at", "last_seen_at"},
                           package_id=applied, package_built_at=built.get(applied), checked_in_at=now,
                           last_seen_at=now, client_version=client_version)
    station.refresh_from_db()
    return station


@dataclass(frozen=True)
class StationState:
    station: Station
    age: timedelta | None  # how old the data it holds is (None: it holds nothing yet)
    stale: bool  # holds nothing, or data older than the snapshot threshold
    current: bool  # holds the newest published package


def state(station: Station, now: datetime, newest: str | None = None) -> StationState:
    threshold = timedelta(minutes=settings.SNAPSHOT_STALE_MINUTES)
    age = now - station.package_built_at if station.package_built_at else None
    stale = station.revoked_at is None and (age is None or age > threshold)
    return StationState(station, age, stale, bool(newest) and station.package_id == newest)


def states(now: datetime) -> list[StationState]:
    """Every station, those in service first."""
    newest = distribution.newest_id()
    found = sorted(Station.objects.all(), key=lambda s: (s.revoked_at is not None, s.department, s.name))
    return [state(s, now, newest) for s in found]


def report_stale(now: datetime) -> list[StationState]:
    """Raise the alarm of each station in service that is reachable and holds stale data (or
    none); resolve it once the station is fresh again or out of contact. Returns those firing."""
    firing = []
    for found in states(now):
        station = found.station
        if station.revoked_at is not None:
            continue
        reachable = station.last_seen_at is not None and now - station.last_seen_at <= REACHABLE
        stale = reachable and found.stale
        alarms.raise_alarm(source=ALARM_SOURCE, fingerprint=f"station-{station.pk}-stale", firing=stale,
                           summary=_stale_summary(found, now) if stale else
                           _("Station %(name)s holds fresh data again, or is out of contact") % {"name": station.name},
                           labels={"station": station.name, "package": station.package_id})
        if stale:
            firing.append(found)
    return firing


def _stale_summary(found: StationState, now: datetime) -> str:
    name = found.station.name
    if found.age is None:
        return _("Station %(name)s is reachable but holds no snapshot package") % {"name": name}
    return _("Station %(name)s is reachable but its data is %(minutes)d minutes old") % {
        "name": name, "minutes": found.age.total_seconds() // 60}

"""Distribution of snapshot packages to emergency workstations (under /api/v1/continuity).

    GET  packages/latest     the newest complete chain (station token, or a reader's token/session)
    GET  packages/{id}       one package file, resumable (station token only)
    POST stations/holding    the station checks in: what it holds (station token)
    POST stations/leases     the station's number leases, renewed when it runs low (station token)
    GET  stations            every station and how old its data is (readers)
    GET  stations/operators  the emergency credentials, signed: DIR/operators.json (station token)
    POST stations/mode       declare ready, downtime or drill to the stations (commanders, IT)

Stations authenticate with their own bearer token (st_…), separate from users' API tokens.
Package files go to stations only: a package is encrypted, but it is every patient's data, and
a station token is the credential bound to one workstation whose holdings are tracked and which
can be revoked on its own. Staff see the listing and the stations.
"""
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.security import HttpBearer

from lifeline.accounts.permissions import can_manage_stations, can_read, signed_in
from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.package.keys import KeyStoreError
from lifeline.stations import credentials, declaring, distribution, downloads, leasing, registry
from lifeline.stations.models import Station
from lifeline.workstation import leases

router = Router(tags=["continuity"])


class StationAuth(HttpBearer):
    """`Authorization: Bearer st_…`: an emergency workstation's token."""

    def authenticate(self, request, token):
        station = registry.find(token)
        if station is not None:
            registry.seen(station, clock.now())
        return station


station_auth = StationAuth()
station_or_reader = [station_auth, *can_read.api]
station_or_user = [station_auth, *signed_in.api]


class PackageOut(Schema):
    id: str
    kind: str
    size: int
    sha256: str
    parent: str | None
    built_at: datetime
    url: str


class ChainOut(Schema):
    chain: str | None = Field(description="the full package the chain starts with")
    newest: str | None
    packages: list[PackageOut] = Field(description="the full package, then its incrementals in order")


@router.get("/packages/latest", auth=station_or_reader, response=ChainOut, url_name="continuity_latest",
            summary="The newest complete chain of snapshot packages: what a station needs to be current")
def latest(request):
    chain = distribution.latest_chain()
    return {"chain": chain[0].package_id if chain else None, "newest": chain[-1].package_id if chain else None,
            "packages": [{"id": p.package_id, "kind": p.kind, "size": p.size, "sha256": p.sha256,
                          "parent": p.parent_id, "built_at": p.built_at,
                          "url": request.build_absolute_uri(reverse("api:continuity_package", args=[p.package_id]))}
                         for p in chain]}


@router.get("/packages/{package_id}", auth=station_or_user, url_name="continuity_package",
            summary="One package file (encrypted and signed), resumable with Range/If-Range; stations only")
def package(request, package_id: str):
    if not isinstance(request.auth, Station):
        raise Refused.forbidden(_("Package files are served to emergency workstations only, with a station token"))
    try:
        found, file = distribution.open_published(package_id)
    except distribution.Gone as gone:
        raise Refused("package_id", str(gone), status=410) from gone
    except distribution.Unknown as unknown:
        raise Refused.not_found("package_id", str(unknown)) from unknown
    return downloads.file_response(request, file, found.sha256, found.file)


class HoldingIn(Schema):
    package_ids: list[str] = Field(description="the packages the station holds, downloaded and verified")
    applied: str = Field("", description="the newest package applied to its base data")
    client_version: str = Field("", max_length=40)


class StationOut(Schema):
    id: int
    name: str
    department: str
    location: str
    revoked: bool
    last_seen_at: datetime | None
    package_id: str
    package_built_at: datetime | None
    checked_in_at: datetime | None
    client_version: str
    mode: str = Field(description="ready, downtime or drill: declared here, put in force by the station")
    mode_declared_by: str
    mode_declared_at: datetime | None
    data_age_seconds: float | None
    stale: bool
    current: bool


def _station_out(state: registry.StationState) -> dict:
    s = state.station
    return {"id": s.pk, "name": s.name, "department": s.department, "location": s.location,
            "revoked": s.revoked_at is not None, "last_seen_at": s.last_seen_at, "package_id": s.package_id,
            "package_built_at": s.package_built_at, "checked_in_at": s.checked_in_at,
            "client_version": s.client_version, "mode": s.mode, "mode_declared_by": s.mode_declared_by,
            "mode_declared_at": s.mode_declared_at, "stale": state.stale, "current": state.current,
            "data_age_seconds": state.age.total_seconds() if state.age is not None else None}


@router.post("/stations/holding", auth=station_auth, response=StationOut, url_name="continuity_holding",
             summary="A station checks in: the packages it holds and the one applied to its base data")
def holding(request, payload: HoldingIn):
    """200 with what is stored; 400 naming the field when a package is unknown here."""
    now = clock.now()
    station = registry.record_holding(request.auth, package_ids=payload.package_ids, applied=payload.applied,
                                      client_version=payload.client_version, now=now,
                                      address=request.META.get("REMOTE_ADDR"))
    return _station_out(registry.state(station, now, distribution.newest_id()))


@router.get("/stations", response=list[StationOut], summary="Every emergency workstation and how old its data is",
            auth=can_read.api)
def station_list(request):
    return [_station_out(state) for state in registry.states(clock.now())]


class LeasesIn(Schema):
    held: list[str] = Field(description="the lease ids the station holds")
    remaining: dict[str, int] = Field(description="numbers left of each kind (visit, charge, prescription, card)")


class LeaseOut(Schema):
    lease_id: str
    kind: str
    first: int
    last: int
    leased_at: datetime


@router.post("/stations/leases", auth=station_auth, response=list[LeaseOut], url_name="continuity_leases",
             summary="The station's number leases (号段), with a new range of each kind it runs low on")
def number_leases(request, payload: LeasesIn):
    """200 with every lease granted to the station; 400 naming the field for an unknown kind."""
    for kind in payload.remaining:
        if kind not in leases.KINDS:
            raise Refused(f"remaining.{kind}", _("%(kind)s is not a kind of number (%(kinds)s)")
                          % {"kind": kind, "kinds": ", ".join(leases.KINDS)})
    found = leasing.renew(request.auth, set(payload.held), payload.remaining, clock.now())
    return [{"lease_id": lease.lease_id, "kind": lease.kind, "first": lease.first, "last": lease.last,
             "leased_at": lease.leased_at} for lease in found]


class ModeIn(Schema):
    mode: str = Field(description="ready, downtime or drill")
    station_ids: list[int] = Field([], description="the stations; none: every station in service")
    incident: int | None = Field(None, description="the open incident it is declared for: named in "
                                                   "mode_declared_by and written on its timeline")


@router.post("/stations/mode", auth=can_manage_stations.api, response=list[StationOut], url_name="continuity_mode",
             summary="Declare ready, downtime or drill to the stations; each hears it on its next pull")
def declare_mode(request, payload: ModeIn):
    """200 with the stations declared; 400 naming the field for an unknown mode or station, 404 or
    409 naming `incident` for an incident that does not exist or is over."""
    now = clock.now()
    incident = declaring.incident(payload.incident) if payload.incident is not None else None
    declared = declaring.declare(payload.mode, request.user, now, payload.station_ids, incident)
    newest = distribution.newest_id()
    return [_station_out(registry.state(station, now, newest)) for station in declared]


@router.get("/stations/operators", auth=station_auth, url_name="continuity_operators",
            summary="The emergency credentials still valid on this station, signed with the package key: "
                    "the station's operators.json")
def station_operators(request):
    """503 naming the key store while the server holds no package key to sign with."""
    try:
        return credentials.signed(clock.now(), request.auth)
    except KeyStoreError as missing:
        raise Refused("key", str(missing), status=503) from missing

"""The continuity page (应急数据): the published chain, recent builds with charts, freshness, and
the emergency workstations with the age of the data each holds. Commanders and IT on duty add
and revoke stations here; auditors read."""
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_manage_stations, can_read
from lifeline.core import charts, clock, incident_links
from lifeline.core.errors import Refused
from lifeline.snapshots import numbers, services
from lifeline.snapshots.models import SnapshotBuild
from lifeline.stations import declaring, distribution, leasing, registry
from lifeline.stations.forms import DeclareForm, StationForm
from lifeline.stations.models import Station
from lifeline.workstation import leases

RECENT_BUILDS = 30
CHARTED_BUILDS = 30
DURATION_UNITS = [(0.001, "ms"), (1, "s"), (60, "min")]
SIZE_UNITS = [(1, "B"), (1024, "KB"), (1024 ** 2, "MB"), (1024 ** 3, "GB")]


@can_read.page
def page(request, form=None):
    now = clock.now()
    may_manage = can_manage_stations(request.user)
    builds = list(SnapshotBuild.objects.all()[:RECENT_BUILDS])
    for build in builds:
        build.rows = sum(build.row_counts.values())
    freshness = services.freshness(now)
    return render(request, "stations/page.html", {
        "now": now, "freshness": freshness, "threshold_minutes": int(freshness.threshold.total_seconds() // 60),
        "chain": [(p, datetime.fromisoformat(p.built_at)) for p in distribution.latest_chain()], "builds": builds,
        "charts": _charts(builds[:CHARTED_BUILDS][::-1]), "stations": registry.states(now),
        "may_manage": may_manage, "form": form or (StationForm() if may_manage else None),
        **_lease_starts()})


def _lease_starts() -> dict:
    """Where each kind's number leases start: the HIS's next number as read, plus the offset."""
    found, offset = numbers.his_numbers(), settings.STATION_NUMBER_OFFSET
    rows = [(kind, name, found.known.get(kind), kind in (found.named or ())) for kind, name in leases.KINDS.items()]
    return {"lease_starts": [(kind, name, known, named, (known.next if known else leasing.UNREAD) + offset)
                             for kind, name, known, named in rows],
            "lease_offset": offset, "sequences_named": bool(found.named)}


def _charts(builds: list[SnapshotBuild]) -> list[charts.Chart]:
    """Duration and size of each finished build, oldest first; full and incremental in their own colours."""
    done = [b for b in builds if b.duration_seconds is not None]
    labels = [timezone.localtime(b.started_at).strftime("%m-%d %H:%M") for b in done]

    def chart(title, value, units):
        values = [value(b) for b in done]
        divisor, unit = _unit(max((v for v in values if v is not None), default=0), units)
        series = [(label, [round(v / divisor, 2) if v is not None and b.kind == kind else None
                           for v, b in zip(values, done)]) for kind, label in SnapshotBuild.Kind.choices]
        return charts.columns(title, labels, series, stacked=True, unit=f" {unit}")

    found = [chart(_("Build duration"), lambda b: b.duration_seconds, DURATION_UNITS),
             chart(_("Package size"), lambda b: b.size_bytes, SIZE_UNITS)]
    every = max(1, len(done) // 6)  # a few labels keep the axis readable
    for found_chart in found:
        found_chart.x_labels = found_chart.x_labels[::every]
    return found


def _unit(largest: float, units: list[tuple[float, str]]) -> tuple[float, str]:
    """The largest unit the largest value is at least one of (the axis then reads 0-4 MB, not 0-0.2)."""
    return next(((size, name) for size, name in reversed(units) if largest >= size), units[0])


@require_POST
@can_manage_stations.page
def create_station(request):
    form = StationForm(request.POST)
    if not form.is_valid():
        return page(request, form=form)
    station, token = registry.create(**form.cleaned_data)
    return render(request, "stations/station_created.html", {"station": station, "token": token})


@require_POST
@can_manage_stations.page
def revoke_station(request, station_id):
    station = get_object_or_404(Station, pk=station_id, revoked_at__isnull=True)
    registry.revoke(station, clock.now())
    messages.success(request, _("Station %(name)s revoked: its token no longer works.") % {"name": station.name})
    return redirect("stations:page")


@require_POST
@can_manage_stations.page
def declare_mode(request):
    """Every station in service in the mode of the button pressed; each hears it on its next pull."""
    mode = request.POST.get("mode", "")
    try:
        declared = registry.declare(mode, by=request.user.get_username(), now=clock.now())
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, _("%(mode)s declared to %(count)d stations: each puts it in force on its next pull.")
                         % {"mode": Station.Mode(mode).label, "count": len(declared)})
    return redirect("stations:page")


@can_manage_stations.page
def declare(request):
    """宣布应急 from an incident's page (?incident=ID) or the command dashboard: a confirmation
    naming the stations (every one in service, or those ticked), then the declaration, audited
    with who declared it for which incident (mode_declared_by) and written on that incident's
    timeline (declaring.py). A drill incident declares a drill. Each station puts it in force on
    its next pull."""
    incident_id = request.GET.get("incident", "")
    try:
        incident = declaring.incident(incident_id) if incident_id else None
    except Refused as refused:
        if refused.status == 404:
            raise Http404(refused.message) from None
        messages.error(request, refused.message)
        return redirect(incident_links.describe(incident_id).url)
    mode = Station.Mode.DRILL if incident and incident.drill else Station.Mode.DOWNTIME
    form = DeclareForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        declared = _declare(request, form, mode, incident)
        if declared is not None:
            messages.success(request, _("%(mode)s declared to %(count)d stations: each puts it in force on its next "
                                        "pull.") % {"mode": mode.label, "count": len(declared)})
            return redirect(incident.url if incident else "stations:page")
    return render(request, "stations/declare.html", {
        "form": form, "incident": incident, "mode": mode,
        "in_service": Station.objects.filter(revoked_at__isnull=True).order_by("department", "name")})


def _declare(request, form: DeclareForm, mode: str, incident) -> list[Station] | None:
    """Declare as the form says; None with the reason on the form when nothing could be."""
    if not Station.objects.filter(revoked_at__isnull=True).exists():
        form.add_error(None, _("No station is in service: add one on the emergency data page first"))
        return None
    try:
        return declaring.declare(mode, request.user, clock.now(), form.station_ids(), incident)
    except ValidationError as refused:
        form.add_error("stations", " ".join(refused.messages))
        return None

"""The continuity page (应急数据): the published chain, recent builds with charts, freshness, and
the emergency workstations with the age of the data each holds. Commanders and IT on duty add
and revoke stations here; auditors read."""
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_manage_stations, can_read
from lifeline.core import charts, clock
from lifeline.snapshots import services
from lifeline.snapshots.models import SnapshotBuild
from lifeline.stations import distribution, registry
from lifeline.stations.forms import StationForm
from lifeline.stations.models import Station

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
        "may_manage": may_manage, "form": form or (StationForm() if may_manage else None)})


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

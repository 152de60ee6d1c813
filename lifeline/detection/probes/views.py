"""Probe pages: the list with state and uptime, a probe's recent readings and hourly charts,
and the form commanders and IT on duty use to add and change probes (auditors read only)."""
from datetime import timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.accounts.permissions import can_manage_detection, can_read
from lifeline.core import charts, clock
from lifeline.detection.models import Probe
from lifeline.detection.probes import history, services
from lifeline.detection.probes.forms import ProbeForm, examples

RECENT_READINGS = 50
RECENT_CHANGES = 20
CHART_HOURS = 48
LABEL_EVERY_HOURS = 6


@can_read.page
def probe_list(request):
    probes = services.with_uptime(Probe.objects.select_related("component"))
    return render(request, "detection/probes/list.html", {
        "probes": probes, "may_manage": can_manage_detection(request.user)})


@can_read.page
def probe_detail(request, probe_id):
    probe = get_object_or_404(Probe.objects.select_related("component"), pk=probe_id)
    may_manage = can_manage_detection(request.user)
    until = history.floor_hour(clock.now()) + timedelta(hours=1)
    hours = history.hourly(probe, until - timedelta(hours=CHART_HOURS), until)
    return render(request, "detection/probes/detail.html", {
        "probe": probe, "may_manage": may_manage, "hours": hours, "charts": _charts(hours),
        "readings": probe.results.all()[:RECENT_READINGS], "changes": probe.changes.all()[:RECENT_CHANGES],
        # The check-in address carries the token: only those who manage probes see it.
        "heartbeat_url": services.heartbeat_url(probe) if may_manage and probe.heartbeat_token else "",
    })


def _charts(hours) -> list:
    labels = [timezone.localtime(h.start).strftime("%m-%d %H:00") for h in hours]
    found = [charts.columns(_("Good readings per hour"), labels,
                            [(_("uptime"), [h.uptime for h in hours])], stacked=False, top=100, unit="%"),
             charts.columns(_("Response time per hour"), labels,
                            [(_("average"), [h.latency_avg_ms and round(h.latency_avg_ms, 1) for h in hours]),
                             (_("95th percentile"), [h.latency_p95_ms for h in hours])],
                            stacked=False, unit=" ms")]
    for chart in found:  # one label every few hours keeps the axis readable
        chart.x_labels = chart.x_labels[::LABEL_EVERY_HOURS]
    return found


@can_manage_detection.page
def probe_edit(request, probe_id=None):
    probe = get_object_or_404(Probe, pk=probe_id) if probe_id else Probe()
    form = ProbeForm(request.POST or None, instance=probe)
    if request.method == "POST" and form.is_valid():
        services.save(form.save(commit=False))
        messages.success(request, _("Probe %(name)s saved; it runs within a few seconds.") % {"name": probe.name})
        return redirect("detection:probe", probe_id=probe.pk)
    return render(request, "detection/probes/edit.html", {"form": form, "probe": probe, "examples": examples()})

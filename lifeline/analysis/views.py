"""Fault analysis pages: the fault analysis of an incident (edit, preview, PDF/DOCX), follow-ups, statistics.

Commanders and IT on duty edit; auditors read; department staff see none of it.
"""
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_edit_analysis, can_read
from lifeline.analysis import printing, services, statistics
from lifeline.analysis.models import FaultAnalysis, FollowUp
from lifeline.core import charts
from lifeline.core.errors import Refused
from lifeline.incidents.models import Incident
from lifeline.people.models import Member


def _incident(incident_id) -> Incident:
    return get_object_or_404(Incident.objects.select_related("plan_version"), pk=incident_id)


def _refused(request, model, exc: Refused, what: str):
    """Tell the user which field was refused and why, by the field's label."""
    try:
        label = model._meta.get_field(exc.field).verbose_name
    except FieldDoesNotExist:  # not a field (the incident's state, the follow-up itself): say its name
        label = exc.field
    messages.error(request, _("%(what)s %(field)s: %(reason)s") % {"what": what, "field": label, "reason": exc.message})


@can_read.page
def index(request):
    """Resolved and closed incidents, with whether their analysis is written yet."""
    finished = (Incident.objects.filter(status__in=Incident.Status.finished())
                .select_related("analysis").order_by("-resolved_at", "-pk")[:200])
    return render(request, "analysis/index.html", {
        "incidents": finished, "open_follow_ups": FollowUp.objects.open().count(),
        "overdue": FollowUp.objects.overdue(services.today()).count()})


@can_read.page
def analysis(request, incident_id):
    incident = _incident(incident_id)
    if request.method == "POST":
        if not can_edit_analysis(request.user):
            raise PermissionDenied(str(can_edit_analysis.refusal))
        texts = {name: request.POST.get(name, "") for name in FaultAnalysis.TEXT_FIELDS}
        try:
            services.save_analysis(incident, request.user, **texts)
        except Refused as exc:
            _refused(request, FaultAnalysis, exc, _("Not saved:"))
        else:
            messages.success(request, _("Fault analysis saved."))
        return redirect("analysis:analysis", incident_id=incident.pk)
    prepared = services.build(incident)
    stored = prepared.analysis.pk is not None
    return render(request, "analysis/analysis.html", {
        "incident": prepared.incident, "a": prepared, "stored": stored, "may_edit": can_edit_analysis(request.user),
        "fields": [(name, FaultAnalysis._meta.get_field(name).verbose_name, getattr(prepared.analysis, name))
                   for name in FaultAnalysis.TEXT_FIELDS],
        "members": Member.objects.filter(active=True), "today": services.today()})


@can_read.page
def analysis_file(request, incident_id, fmt):
    prepared = services.build(_incident(incident_id))
    response = HttpResponse(printing.render(prepared, fmt), content_type=printing.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"incident-{incident_id}-fault-analysis.{fmt}")
    return response


@require_POST
@can_edit_analysis.page
def add_follow_up(request, incident_id):
    incident = _incident(incident_id)
    try:
        services.add_follow_up(incident, title=request.POST.get("title", ""), due_on=request.POST.get("due_on", ""),
                               owner_id=request.POST.get("owner") or None, vendor=request.POST.get("vendor", ""),
                               user=request.user)
    except Refused as exc:
        _refused(request, FollowUp, exc, _("Follow-up not added:"))
    else:
        messages.success(request, _("Follow-up added."))
    return redirect("analysis:analysis", incident_id=incident.pk)


@can_read.page
def follow_ups(request):
    today = services.today()
    found = services.open_follow_ups()
    return render(request, "analysis/follow_ups.html", {
        "follow_ups": [(f, f.due_on < today) for f in found], "today": today,
        "may_edit": can_edit_analysis(request.user)})


@require_POST
@can_edit_analysis.page
def follow_up_done(request, pk):
    follow_up = get_object_or_404(FollowUp, pk=pk)
    try:
        services.mark_done(follow_up, request.user, request.POST.get("result", ""))
    except Refused as exc:
        _refused(request, FollowUp, exc, _("Not marked done:"))
    else:
        messages.success(request, _("Done: %(title)s") % {"title": follow_up.title})
    return redirect("analysis:follow_ups")


@can_read.page
def statistics_page(request):
    found = statistics.compute()
    rows = found.rows + [found.total]
    return render(request, "analysis/statistics.html", {
        "s": found, "rows": rows,
        "by_month": charts.columns(
            _("Incidents by month and level"), [m for m, _c, _t in found.months],
            [(name, [counts[i] for _m, counts, _t in found.months]) for i, name in enumerate(found.levels)],
            stacked=True),
        "sla": charts.columns(
            _("SLA compliance by level (%)"), [r.name or _("All levels") for r in rows],
            [(_("acknowledged in time"), [r.respond_sla.pct for r in rows]),
             (_("resolved in time"), [r.resolve_sla.pct for r in rows])],
            stacked=False, top=100, unit="%")})

"""Fault analysis pages: the fault analysis of an incident (edit, preview, PDF/DOCX), follow-ups, statistics.

Commanders and IT on duty edit; auditors read; department staff see none of it.
"""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_edit_analysis, can_read
from lifeline.analysis import printing, services, statistics
from lifeline.analysis.forms import AnalysisForm, DoneForm, FollowUpForm
from lifeline.analysis.models import FaultAnalysis, FollowUp
from lifeline.core import charts
from lifeline.core.errors import Refused, add_to_form
from lifeline.incidents.models import Incident


def _incident(incident_id) -> Incident:
    return get_object_or_404(Incident.objects.select_related("plan_version"), pk=incident_id)


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
    if request.method != "POST":
        return _analysis_page(request, incident)
    if not can_edit_analysis(request.user):
        raise PermissionDenied(str(can_edit_analysis.refusal))
    form = AnalysisForm(request.POST)
    if form.is_valid():
        try:
            services.save_analysis(incident, request.user, **form.cleaned_data)
        except Refused as exc:
            add_to_form(form, exc)
    if not form.is_valid():
        return _analysis_page(request, incident, analysis_form=form)
    messages.success(request, _("Fault analysis saved."))
    return redirect("analysis:analysis", incident_id=incident.pk)


def _analysis_page(request, incident, *, analysis_form=None, follow_up_form=None):
    """The analysis with its editor; a form given back (refused) shows its errors by its fields."""
    prepared = services.build(incident)
    may_edit = can_edit_analysis(request.user)
    if may_edit:
        analysis_form = analysis_form or AnalysisForm(initial={
            name: getattr(prepared.analysis, name) for name in FaultAnalysis.TEXT_FIELDS})
        follow_up_form = follow_up_form or FollowUpForm(incident)
    return render(request, "analysis/analysis.html", {
        "incident": prepared.incident, "a": prepared, "stored": prepared.analysis.pk is not None,
        "may_edit": may_edit, "analysis_form": analysis_form, "follow_up_form": follow_up_form})


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
    form = FollowUpForm(incident, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_follow_up(incident, title=data["title"], due_on=data["due_on"], vendor=data["vendor"],
                                   owner_id=data["owner"].pk if data["owner"] else None, user=request.user)
        except Refused as exc:
            add_to_form(form, exc)
    if not form.is_valid():
        return _analysis_page(request, incident, follow_up_form=form)
    messages.success(request, _("Follow-up added."))
    return redirect("analysis:analysis", incident_id=incident.pk)


@can_read.page
def follow_ups(request):
    return _follow_ups_page(request)


def _follow_ups_page(request, refused: FollowUp | None = None, refused_form: DoneForm | None = None):
    """The open follow-ups, soonest due first; a row whose marking was refused keeps its form's error."""
    today = services.today()
    rows = [(f, f.due_on < today, refused_form if refused and f.pk == refused.pk else DoneForm(auto_id=False))
            for f in services.open_follow_ups()]
    return render(request, "analysis/follow_ups.html", {
        "follow_ups": rows, "today": today, "may_edit": can_edit_analysis(request.user)})


@require_POST
@can_edit_analysis.page
def follow_up_done(request, pk):
    follow_up = get_object_or_404(FollowUp, pk=pk)
    form = DoneForm(request.POST, auto_id=False)
    if form.is_valid():
        try:
            services.mark_done(follow_up, request.user, form.cleaned_data["result"])
        except Refused as exc:
            if exc.field not in form.fields:  # the follow-up itself (done meanwhile): its row is gone
                messages.error(request, f"{_('Not marked done:')} {exc.for_people()}")
                return redirect("analysis:follow_ups")
            add_to_form(form, exc)
    if not form.is_valid():
        return _follow_ups_page(request, follow_up, form)
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

"""Backup and DR pages: the catalogue with its 3-2-1 view, restore tests with their RTO history,
the DR topology with failover runbooks, and a plan's measures to confirm.

IT on duty edit (can_manage_readiness); commanders and auditors read (can_read); commanders and
IT on duty start a failover as an incident or a drill (can_run_incidents).
"""
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_manage_readiness, can_read, can_run_incidents
from lifeline.backups import dr, evidence, preparedness, services
from lifeline.backups.forms import FORMS, SHOWN_ON
from lifeline.backups.models import DrComponent, RestoreRun, RestoreTest, Site
from lifeline.backups.resources import SPREADSHEETS
from lifeline.core import charts, clock
from lifeline.core.errors import Refused, add_to_form
from lifeline.core.spreadsheets import XLSX_TYPE
from lifeline.people.resources import ImportRejected, export_xlsx, import_xlsx
from lifeline.plans.models import PlanVersion

RTO_HISTORY_RUNS = 30


@can_read.page
def catalogue(request):
    return render(request, "backups/catalogue.html", {
        "systems": services.catalogue(), "may_manage": can_manage_readiness(request.user),
        "plans": PlanVersion.objects.filter(is_active=True).order_by("plan_id")})


@require_POST
@can_manage_readiness.page
def check(request):
    """Scan every destination now (the worker does it every few minutes)."""
    jobs = evidence.check_all()
    missed = [j for j in jobs if j.state in (evidence.State.MISSED, evidence.State.SHRUNK,
                                             evidence.State.BAD_CHECKSUM)]
    if missed:
        messages.error(request, _("%(count)d backup jobs need attention.") % {"count": len(missed)})
    else:
        messages.success(request, _("Checked %(count)d backup jobs.") % {"count": len(jobs)})
    return redirect("backups:catalogue")


def _instance(what, pk):
    form_class = FORMS.get(what)
    if form_class is None:
        raise Http404
    return form_class, (get_object_or_404(form_class._meta.model, pk=pk) if pk else None)


def _shown_at(what, obj) -> str:
    name = SHOWN_ON[what]
    if name == "backups:restore_test":
        return reverse(name, args=[obj.test_id if what == "query" else obj.pk])
    if name == "backups:component":
        return reverse(name, args=[obj.pk])
    return reverse(name)


@can_manage_readiness.page
def edit(request, what, pk=None):
    """Add or change one row of the catalogue or the DR topology."""
    form_class, instance = _instance(what, pk)
    initial = {k: v for k, v in request.GET.items() if k in form_class.base_fields}
    form = form_class(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            obj = services.save(form.save(commit=False))
        except Refused as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_shown_at(what, obj))
    return render(request, "backups/edit.html", {
        "form": form, "what": what, "title": form_class._meta.model._meta.verbose_name, "instance": instance})


@can_read.page
def export(request, what):
    resource = SPREADSHEETS.get(what)
    if resource is None:
        raise Http404
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d")
    response = HttpResponse(export_xlsx(resource()), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="backup-{what}-{stamp}.xlsx"'
    return response


@require_POST
@can_manage_readiness.page
def import_spreadsheet(request):
    resource = SPREADSHEETS.get(request.POST.get("what", ""))
    upload = request.FILES.get("file")
    if resource is None or upload is None:
        messages.error(request, _("Choose an .xlsx file to import."))
        return redirect("backups:catalogue")
    try:
        result = import_xlsx(resource(), upload.read())
    except ImportRejected as rejected:
        messages.error(request, _("Nothing was imported: %(errors)s") % {"errors": "; ".join(rejected.errors)})
    else:
        messages.success(request, _("Imported: %(new)d new, %(update)d updated.")
                         % {"new": result.totals["new"], "update": result.totals["update"]})
    return redirect("backups:catalogue")


# --- restore tests -----------------------------------------------------------------------------

@can_read.page
def restore_tests(request):
    tests = RestoreTest.objects.select_related("destination__job__system").prefetch_related("runs")
    return render(request, "backups/restore_tests.html", {
        "tests": [(t, t.runs.first()) for t in tests], "may_manage": can_manage_readiness(request.user)})


# Passed runs in the palette's green, failed ones in its most severe colour.
RUN_COLOURS = {0: charts.PALETTE[3], 1: charts.PALETTE[0]}


def rto_chart(test: RestoreTest, runs: list[RestoreRun]) -> charts.Chart:
    """Each finished run's time in minutes, oldest first: passed and failed as two series."""
    runs = [r for r in reversed(runs) if r.seconds is not None]
    labels = [timezone.localtime(r.started_at).strftime("%m-%d") for r in runs]
    minutes = [round(r.seconds / 60, 2) for r in runs]
    passed = [m if r.status == RestoreRun.Status.PASSED else None for r, m in zip(runs, minutes, strict=True)]
    failed = [m if r.status != RestoreRun.Status.PASSED else None for r, m in zip(runs, minutes, strict=True)]
    chart = charts.columns(_("Restore time per run (achieved RTO)"), labels,
                           [(_("passed"), passed), (_("failed"), failed)], stacked=True, unit=_(" min"))
    recolour = {charts.PALETTE[i]: colour for i, colour in RUN_COLOURS.items()}
    for bar in chart.bars:
        bar.colour = recolour[bar.colour]
    chart.legend = [(recolour[colour], name) for colour, name in chart.legend]
    return chart


@can_read.page
def restore_test(request, pk):
    test = get_object_or_404(RestoreTest.objects.select_related("destination__job__system"), pk=pk)
    runs = list(test.runs.select_related("copy")[:RTO_HISTORY_RUNS])
    objective = test.destination.job.system.rto_minutes
    return render(request, "backups/restore_test.html", {
        "test": test, "runs": runs, "chart": rto_chart(test, runs), "objective": objective,
        "queries": test.queries.all(), "may_manage": can_manage_readiness(request.user)})


@require_POST
@can_manage_readiness.page
def run_restore_test(request, pk):
    """Queue the test for the worker now (a restore may take hours: never in a web request)."""
    test = get_object_or_404(RestoreTest, pk=pk)
    try:
        services.queue_now(test)
    except Refused as exc:
        messages.error(request, exc.for_people())
    else:
        messages.success(request, _("Queued: the worker starts the restore within a minute."))
    return redirect("backups:restore_test", pk=test.pk)


# --- DR topology ---------------------------------------------------------------------------------

@can_read.page
def topology(request):
    components = list(DrComponent.objects.select_related("primary_site", "standby_site"))
    names = {plan_id: dict(dr.scenarios(plan_id)) for plan_id in {c.procedure_plan_id for c in components} if plan_id}
    for c in components:  # the procedures by their names in the plan
        c.failover_name = names.get(c.procedure_plan_id, {}).get(c.failover_scenario_id, "")
        c.failback_name = names.get(c.procedure_plan_id, {}).get(c.failback_scenario_id, "")
    return render(request, "backups/dr.html", {
        "sites": Site.objects.all(), "components": components, "may_manage": can_manage_readiness(request.user)})


@can_read.page
def component(request, pk):
    found = get_object_or_404(DrComponent.objects.select_related("primary_site", "standby_site"), pk=pk)
    names = dict(dr.scenarios(found.procedure_plan_id))
    return render(request, "backups/component.html", {
        "component": found, "switchovers": found.switchovers.select_related("incident")[:50],
        "failover_name": names.get(found.failover_scenario_id, ""),
        "failback_name": names.get(found.failback_scenario_id, ""),
        "may_start": can_run_incidents(request.user), "may_manage": can_manage_readiness(request.user)})


@require_POST
@can_run_incidents.page
def switchover(request, pk):
    found = get_object_or_404(DrComponent, pk=pk)
    try:
        started = dr.start(found, request.POST.get("direction", ""), drill=request.POST.get("drill") == "1",
                           user=request.user)
    except Refused as exc:
        messages.error(request, exc.for_people())
        return redirect("backups:component", pk=found.pk)
    return redirect("incidents:detail", incident_id=started.incident_id)


# --- a plan's measures to confirm ----------------------------------------------------------------

def _version(plan_id) -> PlanVersion:
    version = PlanVersion.objects.select_related("plan").filter(plan_id=plan_id, is_active=True).first()
    if version is None:
        raise Http404
    return version


@can_read.page
def plan_measures(request, plan_id):
    """The plan's backup and DR measures no job or component stands for yet, each a prefilled form."""
    version = _version(plan_id)
    offers = []
    for measure in preparedness.unconfirmed(version):
        if measure.kind == "backup":
            form = FORMS["job"](initial=preparedness.job_initial(measure), prefix=measure.id)
        else:
            form = FORMS["component"](initial={**preparedness.component_initial(measure),
                                               "procedure_plan_id": plan_id}, prefix=measure.id)
        offers.append((measure, form))
    return render(request, "backups/plan_measures.html", {
        "version": version, "offers": offers, "may_manage": can_manage_readiness(request.user)})


@require_POST
@can_manage_readiness.page
def confirm_measure(request, plan_id, measure_id):
    version = _version(plan_id)
    measure = next((m for m in preparedness.unconfirmed(version) if m.id == measure_id), None)
    if measure is None:
        messages.error(request, _("This measure is confirmed already or is not a backup or DR measure."))
        return redirect("backups:plan_measures", plan_id=plan_id)
    form = FORMS["job" if measure.kind == "backup" else "component"](request.POST, prefix=measure.id)
    if form.is_valid():
        obj = form.save(commit=False)
        obj.plan_id, obj.measure_id = plan_id, measure.id
        try:
            services.save(obj)
        except Refused as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Confirmed: %(title)s") % {"title": measure.title})
            return redirect("backups:plan_measures", plan_id=plan_id)
    messages.error(request, _("Not confirmed: %(title)s — %(errors)s") % {
        "title": measure.title, "errors": "; ".join(f"{form.fields[f].label if f in form.fields else ''} {' '.join(e)}"
                                                    for f, e in form.errors.items())})
    return redirect("backups:plan_measures", plan_id=plan_id)


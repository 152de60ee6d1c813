"""Drill pages. Commanders and IT on duty plan, run and close drills (can_run_incidents: a
drill is an incident practised); auditors read (can_read); department staff see none."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_read, can_run_incidents, can_sign_off_drills
from lifeline.core import clock
from lifeline.core.errors import Refused, add_to_form
from lifeline.drills import printing, report, results, schedules, services
from lifeline.drills.forms import (
    DrillForm,
    FindingForm,
    FindingStatusForm,
    MilestoneForm,
    ScheduleForm,
    SignOffForm,
)
from lifeline.drills.models import Drill, Finding, Milestone, Schedule

OPEN_FINDINGS = Count("findings", filter=~Q(findings__status=Finding.Status.DONE))


def _may_change(request):
    """A page that readers open and drill runners also send: 403 for a reader's POST."""
    if not can_run_incidents(request.user):
        raise PermissionDenied(str(can_run_incidents.refusal))


def _today():
    return timezone.localdate(clock.now())


@can_read.page
def drill_list(request):
    form = DrillForm(request.POST or None)
    if request.method == "POST":
        _may_change(request)
        if form.is_valid():
            try:
                drill = services.plan_drill(**form.arguments())
            except Refused as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("Drill planned: %(drill)s") % {"drill": drill})
                return redirect("drills:drill", pk=drill.pk)
    return render(request, "drills/list.html", {
        "drills": Drill.objects.annotate(open_findings=OPEN_FINDINGS)[:100], "form": form,
        "may_edit": can_run_incidents(request.user),
        "chart": report.year_chart(_today().year)}, status=400 if form.errors else 200)


def _drill_page(request, drill, finding_form=None, status=200):
    if drill.status == Drill.Status.RUNNING:
        services.sync_milestones(drill)
    rows = results.results(drill)
    return render(request, "drills/drill.html", {
        "drill": drill, "scenario": services.scenario_name(drill.plan_id, drill.scenario_id),
        "rows": [(r, report.verdict(r, drill)) for r in rows],
        "findings": [(f, f.is_overdue(_today()), FindingStatusForm(initial={"status": f.status}, prefix=f"f{f.pk}"))
                     for f in drill.findings.all()],
        "faults": drill.faults.all(), "to_record": [r for r in rows if r.at is None],
        "finding_form": finding_form or FindingForm(), "sign_off_form": SignOffForm(),
        "may_edit": can_run_incidents(request.user), "may_sign_off": can_sign_off_drills(request.user)},
                  status=status)


@can_read.page
def drill_page(request, pk):
    return _drill_page(request, get_object_or_404(Drill.objects.select_related("incident", "signed_by"), pk=pk))


def _act(request, pk, action, done_message):
    """Run a button's action on the drill; a refusal is shown on the drill page, nothing changed."""
    drill = get_object_or_404(Drill, pk=pk)
    try:
        action(drill)
    except Refused as exc:
        messages.error(request, exc.for_people())
    else:
        messages.success(request, done_message)
    return redirect("drills:drill", pk=drill.pk)


@require_POST
@can_run_incidents.page
def start(request, pk):
    return _act(request, pk, lambda d: services.start(d, request.user), _("Drill started: the drill incident is open."))


@require_POST
@can_run_incidents.page
def milestone(request, pk):
    form = MilestoneForm(request.POST)
    chosen = form.data.get("milestone", "")
    label = dict(Milestone.choices).get(chosen, chosen)
    return _act(request, pk, lambda d: services.record_milestone(d, chosen, request.user),
                _("Recorded: %(milestone)s") % {"milestone": label})


@require_POST
@can_run_incidents.page
def end(request, pk):
    return _act(request, pk, lambda d: services.end(d, request.user), _("Drill ended."))


@require_POST
@can_sign_off_drills.page
def sign_off(request, pk):
    form = SignOffForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _act(request, pk, lambda d: services.sign_off(d, request.user, note), _("Drill report signed off."))


@require_POST
@can_run_incidents.page
def add_finding(request, pk):
    drill = get_object_or_404(Drill, pk=pk)
    form = FindingForm(request.POST)
    if form.is_valid():
        try:
            services.add_finding(drill, **form.cleaned_data)
        except Refused as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Finding added."))
            return redirect("drills:drill", pk=drill.pk)
    return _drill_page(request, drill, finding_form=form, status=400)


@require_POST
@can_run_incidents.page
def finding_status(request, pk):
    finding = get_object_or_404(Finding, pk=pk)
    form = FindingStatusForm(request.POST, prefix=f"f{finding.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose a status for the finding."))
    else:
        services.set_finding_status(finding, form.cleaned_data["status"])
        messages.success(request, _("Finding %(finding)s: %(status)s")
                         % {"finding": finding, "status": finding.get_status_display()})
    if request.POST.get("back") == "findings":  # changed from the list of all findings
        return redirect("drills:findings")
    return redirect("drills:drill", pk=finding.drill_id)


@can_read.page
def finding_list(request):
    today = _today()
    findings = Finding.objects.select_related("drill")
    return render(request, "drills/findings.html", {
        "findings": [(f, f.is_overdue(today), FindingStatusForm(initial={"status": f.status}, prefix=f"f{f.pk}"))
                     for f in findings],
        "may_edit": can_run_incidents(request.user)})


@can_read.page
def schedule_list(request):
    form = ScheduleForm(request.POST or None)
    if request.method == "POST":
        _may_change(request)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["plan_id"], data["scenario_id"] = data.pop("scenario")
            try:
                schedules.create_schedule(**data)
            except Refused as exc:
                add_to_form(form, exc)
            else:
                schedules.plan_next()
                messages.success(request, _("Drill schedule saved; the next drill is planned."))
                return redirect("drills:schedules")
    found = list(Schedule.objects.all())
    for schedule in found:
        schedule.scenario_name = services.scenario_name(schedule.plan_id, schedule.scenario_id)
    return render(request, "drills/schedules.html", {
        "schedules": found, "form": form,
        "may_edit": can_run_incidents(request.user)}, status=400 if form.errors else 200)


@can_read.page
def report_file(request, pk, fmt):
    drill = get_object_or_404(Drill, pk=pk)
    body = printing.render(report.build(drill), fmt)
    response = HttpResponse(body, content_type=printing.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"drill-{drill.pk}.{fmt}")
    return response

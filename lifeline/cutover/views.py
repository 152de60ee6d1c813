"""Cutover pages: the list and one cutover's board. Everyone signed in reads the board (the
responsible units follow their tasks there); commanders and IT on duty change it
(can_run_cutover). Each form posts to its own action and comes back to the board."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_run_cutover, signed_in
from lifeline.core import clock
from lifeline.core.errors import Refused, add_to_form
from lifeline.cutover import services
from lifeline.cutover.forms import CheckForm, CutoverForm, EventForm, RehearsalForm, SignForm, TaskForm
from lifeline.cutover.models import Cutover, GoCheck, Task
from lifeline.cutover.prediction import predict

# What the buttons that move a cutover say (the action, not the state it leads to).
MOVE_ACTIONS = {Cutover.Status.CUTTING_OVER: _lazy("Go: start the cutover"),
                Cutover.Status.LIVE: _lazy("Confirm live on the new system"),
                Cutover.Status.FALLEN_BACK: _lazy("Fall back to the old system")}


@signed_in.page
def cutover_list(request):
    form = CutoverForm(request.POST or None)
    if request.method == "POST":
        can_run_cutover.check(request.user)
        if form.is_valid():
            cutover = form.save()
            services.record(cutover, _("Cutover planned"), request.user)
            return redirect("cutover:board", pk=cutover.pk)
    return render(request, "cutover/list.html", {
        "cutovers": Cutover.objects.all(), "form": form, "may_edit": can_run_cutover(request.user)},
        status=400 if form.errors else 200)


@signed_in.page
def board(request, pk, forms=None, status=200):
    cutover = get_object_or_404(Cutover, pk=pk)
    forms = forms or {}
    now = clock.now()
    tasks = list(cutover.tasks.prefetch_related("depends_on").select_related("done_by"))
    rehearsals = list(cutover.rehearsals.all())
    done = sum(t.status == Task.Status.DONE for t in tasks)
    return render(request, "cutover/board.html", {
        "cutover": cutover, "now": now, "may_edit": can_run_cutover(request.user),
        "tasks": [(t, t.is_overdue(now)) for t in tasks], "done": done,
        "checks": cutover.checks.select_related("signed_by"), "events": cutover.events.select_related("by"),
        "rehearsals": rehearsals, "prediction": predict(rehearsals),
        "moves": [(s, MOVE_ACTIONS[s]) for s, sources in services.MOVES.items() if cutover.status in sources],
        "task_form": forms.get("task") or TaskForm(cutover), "check_form": forms.get("check") or CheckForm(),
        "event_form": forms.get("event") or EventForm(), "sign_form": SignForm(),
        "rehearsal_form": forms.get("rehearsal") or RehearsalForm()}, status=status)


def _act(request, cutover, name, form, action, done_message):
    """Run `action(cleaned_data)` for a valid form; the board again, with the form's errors, if not."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except Refused as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, done_message)
            return redirect("cutover:board", pk=cutover.pk)
    return board(request, cutover.pk, forms={name: form}, status=400)


@require_POST
@can_run_cutover.page
def add_task(request, pk):
    cutover = get_object_or_404(Cutover, pk=pk)
    form = TaskForm(cutover, request.POST)
    return _act(request, cutover, "task", form, lambda data: services.add_task(cutover, request.user, **data),
                _("Task added."))


@require_POST
@can_run_cutover.page
def task_status(request, pk, task_pk):
    task = get_object_or_404(Task, pk=task_pk, cutover_id=pk)
    try:
        services.set_task_status(task, request.POST.get("status", ""), request.user)
    except Refused as exc:
        messages.error(request, exc.for_people())
    return redirect("cutover:board", pk=pk)


@require_POST
@can_run_cutover.page
def add_check(request, pk):
    cutover = get_object_or_404(Cutover, pk=pk)
    return _act(request, cutover, "check", CheckForm(request.POST),
                lambda data: services.add_check(cutover, data["question"], request.user), _("Go/no-go item added."))


@require_POST
@can_run_cutover.page
def sign_check(request, pk, check_pk):
    check = get_object_or_404(GoCheck, pk=check_pk, cutover_id=pk)
    form = SignForm(request.POST)
    if form.is_valid():
        services.sign_check(check, form.cleaned_data["answer"], request.user, form.cleaned_data["note"])
    else:
        messages.error(request, _("Answer yes or no"))
    return redirect("cutover:board", pk=pk)


@require_POST
@can_run_cutover.page
def add_event(request, pk):
    cutover = get_object_or_404(Cutover, pk=pk)
    return _act(request, cutover, "event", EventForm(request.POST),
                lambda data: services.record(cutover, data["text"], request.user), _("Recorded on the timeline."))


@require_POST
@can_run_cutover.page
def add_rehearsal(request, pk):
    cutover = get_object_or_404(Cutover, pk=pk)
    return _act(request, cutover, "rehearsal", RehearsalForm(request.POST),
                lambda data: services.add_rehearsal(cutover, request.user, **data), _("Rehearsal recorded."))


@require_POST
@can_run_cutover.page
def move(request, pk):
    cutover = get_object_or_404(Cutover, pk=pk)
    try:
        services.move(cutover, request.POST.get("status", ""), request.user)
    except Refused as exc:
        messages.error(request, exc.for_people())
    return redirect("cutover:board", pk=pk)

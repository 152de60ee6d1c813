"""The merge-back page (回写, /recovery/merge/): the commander starts a dry run or the merge (carried
out by the worker, progress shown while it runs), and decides each conflict: confirms a temporary
patient as the HIS patient or rejects the match, accepts an invoice, price or stock conflict.
Every action is audited (MergeRun and Conflict rows)."""
from collections import Counter

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_merge_back
from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.recovery import merging
from lifeline.recovery.models import Conflict, MergeRun, ReceivedEvent
from lifeline.recovery.records import record_name
from lifeline.workstation.journal import DRILL

RECENT_RUNS = 10
REFRESH_SECONDS = 2


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=[
        ("confirm", gettext_lazy("Confirm: the same patient")), ("reject", gettext_lazy("Reject: a new patient")),
        ("accept", gettext_lazy("Accept: write as recorded"))])
    card_no = forms.CharField(label=gettext_lazy("HIS card number"), required=False, max_length=40)


@can_merge_back.page
def page(request, status: int = 200):
    merging.reap(clock.now())  # a run whose worker died is shown failed, not refreshed forever
    runs = list(MergeRun.objects.select_related("started_by")[:RECENT_RUNS])
    active = next((r for r in runs if not r.finished), None)
    last = next((r for r in runs if r.finished and r.counts.get("records") is not None), None)
    # open ones first, then the decisions taken (they stay listed after the merge)
    conflicts = sorted(Conflict.objects.select_related("event__station", "decided_by"),
                       key=lambda c: (c.state != Conflict.State.OPEN, c.event.station.name, c.event.seq, c.kind))
    events = ReceivedEvent.objects
    return render(request, "recovery/merge.html", {
        "runs": runs, "active": active, "last": last,
        "last_records": [(record_name(k), n) for k, n in sorted(last.counts["records"].items())] if last else [],
        "refresh": REFRESH_SECONDS if active else None,
        "conflicts": conflicts, "open": [c for c in conflicts if c.state == Conflict.State.OPEN],
        "open_kinds": sorted(Counter((c.kind, c.get_kind_display()) for c in conflicts
                                     if c.state == Conflict.State.OPEN and c.kind != Conflict.Kind.PATIENT_MATCH)
                             .items()),
        "received": events.count(), "merged": events.filter(merged_at__isnull=False).count(),
        "drill": events.filter(mode=DRILL).count(),
        "pending": events.filter(merged_at__isnull=True).exclude(mode=DRILL).count()}, status=status)


@require_POST
@can_merge_back.page
def start(request):
    """Queue a dry run or a merge for the worker; 409 with the page, naming the run and who
    started it, while another is queued or running (merging.queue: one run at a time)."""
    dry_run = request.POST.get("dry_run") == "1"
    try:
        merging.queue(request.user, clock.now(), dry_run)
    except Refused as refused:
        messages.error(request, refused.message)
        return page(request, status=refused.status)
    messages.success(request, _("Dry run queued: nothing is written to the HIS.") if dry_run
                     else _("Merge queued: it refuses to write while a conflict is open."))
    return redirect("merge:page")


@require_POST
@can_merge_back.page
def decide(request, conflict_id: int):
    conflict = get_object_or_404(Conflict.objects.select_related("event"), pk=conflict_id,
                                 state=Conflict.State.OPEN)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
        return redirect("merge:page")
    try:
        merging.decide(conflict, request.user, clock.now(), form.cleaned_data["decision"],
                       form.cleaned_data["card_no"])
    except Refused as refused:
        label = form.fields[refused.field].label if refused.field in form.fields else ""
        messages.error(request, f"{label}: {refused.message}" if label else refused.message)
    else:
        messages.success(request, _("%(conflict)s: %(state)s") % {"conflict": conflict.get_kind_display(),
                                                                  "state": conflict.get_state_display()})
    return redirect("merge:page")


@require_POST
@can_merge_back.page
def accept_all(request, kind: str):
    """Accept every open conflict of one kind at once (a price changed in the HIS conflicts once
    per charge of the item). Patient matches are decided one by one."""
    if kind not in Conflict.Kind.values or kind == Conflict.Kind.PATIENT_MATCH:
        messages.error(request, _("%(kind)s: not a kind of conflict accepted all at once") % {"kind": kind})
        return redirect("merge:page")
    accepted = 0
    for conflict in Conflict.objects.select_related("event").filter(kind=kind, state=Conflict.State.OPEN,
                                                                   event__merged_at__isnull=True):
        merging.decide(conflict, request.user, clock.now(), "accept")
        accepted += 1
    messages.success(request, _("%(count)d conflicts accepted: %(kind)s") % {
        "count": accepted, "kind": Conflict.Kind(kind).label})
    return redirect("merge:page")

"""Inspection and spare-parts pages. IT on duty does the rounds and keeps the stock
(can_manage_readiness); commanders and auditors read (can_read); department staff see none."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_manage_readiness, can_read
from lifeline.core import clock
from lifeline.core.errors import Refused, add_to_form
from lifeline.core.spreadsheets import XLSX_TYPE
from lifeline.inspections import checklists, from_plan, parts, printing, report, services
from lifeline.inspections.forms import (
    AdoptForm,
    AnswerForm,
    ChecklistForm,
    ImportForm,
    ItemForm,
    PartForm,
    RestockForm,
    RoundNoteForm,
    WithdrawForm,
)
from lifeline.inspections.models import CheckItem, Checklist, Frequency, Round, SparePart
from lifeline.inspections.resources import SparePartResource
from lifeline.people.resources import ImportRejected, export_xlsx, import_xlsx


def _may_change(request):
    """A page that readers open and IT on duty also sends: 403 for a reader's POST."""
    if not can_manage_readiness(request.user):
        raise PermissionDenied(str(can_manage_readiness.refusal))


@can_read.page
def today(request):
    now = clock.now()
    rounds = services.todays_rounds(now)
    return render(request, "inspections/today.html", {
        "rounds": [(r, r.is_overdue(now)) for r in rounds], "now": now,
        "low_stock": [p for p in SparePart.objects.all() if p.below_minimum],
        "may_edit": can_manage_readiness(request.user)})


@can_read.page
def round_page(request, pk):
    round_ = get_object_or_404(Round.objects.select_related("checklist", "completed_by"), pk=pk)
    may_edit = can_manage_readiness(request.user)
    items = list(round_.checklist.items.all())
    if request.method == "POST":
        _may_change(request)
        forms = {item.pk: AnswerForm(item, request.POST) for item in items if item.kind == CheckItem.Kind.MANUAL}
        note = RoundNoteForm(request.POST)
        if all(f.is_valid() for f in forms.values()) and note.is_valid():
            try:
                services.complete(round_, request.user, {pk: f.answer() for pk, f in forms.items()},
                                  note.cleaned_data["note"])
            except Refused as exc:
                if exc.field == "round":  # done meanwhile, or nothing to do: about the round, not an item
                    messages.error(request, exc.for_people())
                    return redirect("inspections:round", pk=round_.pk)
                _answer_errors(forms, exc)
            else:
                messages.success(request, _("Inspection completed: %(round)s") % {"round": round_})
                return redirect("inspections:today")
        return _round_page(request, round_, items, forms, note, may_edit, status=400)
    forms = {item.pk: AnswerForm(item) for item in items if item.kind == CheckItem.Kind.MANUAL}
    return _round_page(request, round_, items, forms, RoundNoteForm(), may_edit)


def _answer_errors(forms: dict, exc: Refused):
    """Each problem (field item-12-value) under its field of that item's form."""
    for problem in exc.problems:
        _item, pk, part = (problem.field.split("-") + ["", "", ""])[:3]
        form = forms.get(int(pk)) if pk.isdigit() else None
        if form is not None:
            form.add_error(part if part in form.fields else None, problem.message)


def _round_page(request, round_, items, forms, note, may_edit, status=200):
    readings = services.automatic_readings(round_.checklist) if round_.completed_at is None else {}
    results = {r.item_id: r for r in round_.results.all()}
    rows = [{"item": item, "form": forms.get(item.pk), "reading": readings.get(item.pk),
             "result": results.get(item.pk)} for item in items]
    return render(request, "inspections/round.html", {
        "round": round_, "rows": rows, "note_form": note, "may_edit": may_edit,
        "overdue": round_.is_overdue(clock.now()), "problems": any(f.errors for f in forms.values())},
        status=status)


@can_read.page
def checklist_list(request):
    form = ChecklistForm(request.POST or None)
    if request.method == "POST":
        _may_change(request)
        if form.is_valid():
            try:
                checklist = checklists.create_checklist(**form.cleaned_data)
            except Refused as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("Checklist created: %(name)s") % {"name": checklist})
                return redirect("inspections:checklist", pk=checklist.pk)
    return render(request, "inspections/checklists.html", {
        "checklists": Checklist.objects.prefetch_related("items"), "form": form,
        "may_edit": can_manage_readiness(request.user)}, status=400 if form.errors else 200)


@can_read.page
def checklist_page(request, pk):
    checklist = get_object_or_404(Checklist, pk=pk)
    form = ItemForm(request.POST or None)
    if request.method == "POST":
        _may_change(request)
        if form.is_valid():
            try:
                checklists.add_item(checklist, **form.cleaned_data)
            except Refused as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("Item added."))
                return redirect("inspections:checklist", pk=checklist.pk)
    titles, sources = from_plan.measure_titles(), dict(checklists.reads_choices())
    items = list(checklist.items.all())
    for item in items:  # in words: the plan measure it came from, the source it reads
        item.from_plan = titles.get((item.plan_id, item.measure_id), "")
        item.reads = sources.get(f"{item.provider}:{item.source}", "") if item.provider else ""
    return render(request, "inspections/checklist.html", {
        "checklist": checklist, "items": items, "form": form,
        "rounds": checklist.rounds.select_related("completed_by")[:30], "now": clock.now(),
        "may_edit": can_manage_readiness(request.user)}, status=400 if form.errors else 200)


@can_read.page
def plan_offers(request):
    return _offers_page(request)


def _offers_page(request, sent: AdoptForm | None = None, status=200):
    """Each offered measure with its form, filled from the plan; `sent` (refused) keeps what was typed."""
    checks, spares = from_plan.offers()
    rows = [(offer, sent if sent and sent.prefix == _prefix(offer.plan_id, offer.measure.id) else _offer_form(offer))
            for offer in checks]
    return render(request, "inspections/plan_offers.html", {
        "rows": rows, "spares": spares, "names": AdoptForm.names(),
        "may_edit": can_manage_readiness(request.user)}, status=status)


def _prefix(plan_id, measure_id) -> str:
    return f"{plan_id}-{measure_id}"


def _offer_form(offer) -> AdoptForm:
    name = _("%(frequency)s inspection") % {"frequency": Frequency(offer.frequency).label} if offer.frequency else ""
    return AdoptForm(prefix=_prefix(offer.plan_id, offer.measure.id), initial={
        "title": offer.measure.title, "frequency": offer.frequency, "checklist": name})


@require_POST
@can_manage_readiness.page
def adopt(request, plan_id, measure_id):
    form = AdoptForm(request.POST, prefix=_prefix(plan_id, measure_id))
    if form.is_valid():
        try:
            item = from_plan.adopt_check(plan_id, measure_id, **form.cleaned_data)
        except Refused as exc:
            if exc.status == 404:
                raise Http404(exc.for_people()) from None
            add_to_form(form, exc)
        else:
            messages.success(request, _("Confirmed as an item of %(checklist)s.") % {"checklist": item.checklist})
            return redirect("inspections:plan_offers")
    return _offers_page(request, sent=form, status=400)


@can_read.page
def report_page(request):
    try:
        built = report.build(request.GET.get("quarter"))
    except Refused as exc:
        messages.error(request, exc.for_people())
        built = report.build()
    return render(request, "inspections/report.html", {"r": built, "h": printing.headers()})


@can_read.page
def report_file(request, fmt):
    try:
        built = report.build(request.GET.get("quarter"))
    except Refused as exc:
        messages.error(request, exc.for_people())
        return redirect("inspections:report")
    response = HttpResponse(printing.render(built, fmt), content_type=printing.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"inspection-report-{built.quarter}.{fmt}")
    return response


@can_read.page
def part_list(request):
    form = PartForm(request.POST or None)
    if request.method == "POST":
        _may_change(request)
        if form.is_valid():
            part = form.save()
            parts.check_stock(part)
            messages.success(request, _("Spare part added: %(part)s") % {"part": part})
            return redirect("inspections:parts")
    return render(request, "inspections/parts.html", {
        "parts": SparePart.objects.all(), "form": form, "import_form": ImportForm(),
        "may_edit": can_manage_readiness(request.user)}, status=400 if form.errors else 200)


@can_read.page
def part_page(request, pk):
    part = get_object_or_404(SparePart, pk=pk)
    return _part_page(request, part, WithdrawForm(), RestockForm())


def _part_page(request, part, withdraw_form, restock_form, status=200):
    return render(request, "inspections/part.html", {
        "part": part, "withdrawals": part.withdrawals.select_related("incident", "taken_by")[:100],
        "withdraw_form": withdraw_form, "restock_form": restock_form,
        "may_edit": can_manage_readiness(request.user)}, status=status)


@require_POST
@can_manage_readiness.page
def withdraw(request, pk):
    part = get_object_or_404(SparePart, pk=pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            parts.withdraw(part, quantity=form.cleaned_data["quantity"], incident_id=form.cleaned_data["incident"],
                           reason=form.cleaned_data["reason"], user=request.user)
        except Refused as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Taken out of stock."))
            return redirect("inspections:part", pk=part.pk)
    part.refresh_from_db()
    return _part_page(request, part, form, RestockForm(), status=400)


@require_POST
@can_manage_readiness.page
def restock(request, pk):
    part = get_object_or_404(SparePart, pk=pk)
    form = RestockForm(request.POST)
    if form.is_valid():
        parts.restock(part, quantity=form.cleaned_data["quantity"])
        messages.success(request, _("Restocked."))
        return redirect("inspections:part", pk=part.pk)
    return _part_page(request, part, WithdrawForm(), form, status=400)


@can_read.page
def parts_export(request):
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d")
    response = HttpResponse(export_xlsx(SparePartResource()), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="spare-parts-{stamp}.xlsx"'
    return response


@require_POST
@can_manage_readiness.page
def parts_import(request):
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an .xlsx file to import."))
        return redirect("inspections:parts")
    try:
        result = import_xlsx(SparePartResource(), form.cleaned_data["file"].read())
    except ImportRejected as rejected:
        messages.error(request, _("Nothing was imported: %(errors)s") % {"errors": "; ".join(rejected.errors)})
    else:
        parts.check_all_stock()
        messages.success(request, _("Imported: %(new)d new, %(update)d updated.")
                         % {"new": result.totals["new"], "update": result.totals["update"]})
    return redirect("inspections:parts")

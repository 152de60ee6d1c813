"""Reconciliation pages. Everyone on staff reads (can_read_reconciliation); commanders, IT on
duty and department staff open reconciliations, tick re-settlements and enter paper
(can_reconcile); the command centre signs off (can_sign_off_reconciliation)."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_read_reconciliation, can_reconcile, can_sign_off_reconciliation
from lifeline.core.errors import Refused, add_to_form
from lifeline.reconciliation import paper, printing, report, services
from lifeline.reconciliation.forms import BundleForm, PaperEntryForm, ReconciliationForm, SignOffForm
from lifeline.reconciliation.models import PaperBundle, Reconciliation, Resettlement


def _may_change(request):
    if not can_reconcile(request.user):
        raise PermissionDenied(str(can_reconcile.refusal))


@can_read_reconciliation.page
def index(request):
    form = ReconciliationForm(request.POST or None)
    if request.method == "POST":
        _may_change(request)
        if form.is_valid():
            try:
                rec = services.create(request.user, **form.cleaned_data)
            except Refused as exc:
                add_to_form(form, exc)
            else:
                return redirect("reconciliation:detail", pk=rec.pk)
    return render(request, "reconciliation/index.html", {
        "reconciliations": Reconciliation.objects.select_related("incident", "signed_off_by")[:100], "form": form,
        "may_change": can_reconcile(request.user)}, status=400 if form.errors else 200)


def _detail(request, rec, sign_off_form=None, status=200):
    prepared = report.build(rec)
    return render(request, "reconciliation/detail.html", {
        "r": prepared, "rec": rec, "sign_off_form": sign_off_form or SignOffForm(),
        "signed": services.summary_pairs(rec.signed_figures) if rec.signed_off_at else [],
        "may_change": can_reconcile(request.user), "may_sign_off": can_sign_off_reconciliation(request.user)},
        status=status)


def _reconciliation(pk) -> Reconciliation:
    return get_object_or_404(Reconciliation.objects.select_related("incident", "signed_off_by"), pk=pk)


@can_read_reconciliation.page
def detail(request, pk):
    return _detail(request, _reconciliation(pk))


@can_read_reconciliation.page
def download(request, pk, fmt):
    rec = _reconciliation(pk)
    body = printing.render(report.build(rec), fmt)
    response = HttpResponse(body, content_type=printing.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"{_('reconciliation')}-{rec.pk}.{fmt}")
    return response


@require_POST
@can_sign_off_reconciliation.page
def sign_off(request, pk):
    rec = _reconciliation(pk)
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            services.sign_off(rec, request.user, form.cleaned_data["note"])
        except Refused as exc:
            add_to_form(form, exc)
    if form.errors:
        return _detail(request, rec, sign_off_form=form, status=400)
    messages.success(request, _("Reconciliation signed off."))
    return redirect("reconciliation:detail", pk=rec.pk)


@require_POST
@can_reconcile.page
def resettled(request, pk, resettlement_pk):
    resettlement = get_object_or_404(Resettlement, pk=resettlement_pk)
    try:
        services.mark_resettled(resettlement, request.user)
    except Refused as exc:
        messages.error(request, exc.for_people())
    else:
        messages.success(request, _("Charge %(no)s re-settled.") % {"no": resettlement.charge_no})
    return redirect("reconciliation:detail", pk=pk)


@can_read_reconciliation.page
def paper_page(request):
    form = BundleForm(request.POST or None)
    if request.method == "POST":
        _may_change(request)
        if form.is_valid():
            try:
                bundle = paper.collect(request.user, **form.cleaned_data)
            except Refused as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("Bundle collected: %(bundle)s") % {"bundle": bundle})
                return redirect("reconciliation:bundle", pk=bundle.pk)
    return render(request, "reconciliation/paper.html", {
        "left": report.paper_table(), "bundles": PaperBundle.objects.select_related("collected_by"),
        "form": form, "may_change": can_reconcile(request.user)}, status=400 if form.errors else 200)


@can_read_reconciliation.page
def bundle_page(request, pk):
    bundle = get_object_or_404(PaperBundle, pk=pk)
    form = PaperEntryForm(bundle.form, request.POST or None)
    if request.method == "POST":
        _may_change(request)
        if form.is_valid():
            try:
                entry = paper.enter(bundle, request.user, form.cleaned_data)
            except Refused as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("Sheet %(serial)s entered.") % {"serial": entry.serial})
                return redirect("reconciliation:bundle", pk=bundle.pk)
    entries = list(bundle.entries.select_related("entered_by"))
    return render(request, "reconciliation/bundle.html", {
        "bundle": bundle, "entries": entries, "left": bundle.sheets - len(entries), "form": form,
        "may_change": can_reconcile(request.user)}, status=400 if form.errors else 200)

"""Vendor pages (承建单位): the vendors' open items, overdue first, and their Excel export; and
recording a vendor's committed repair time from the incident page. Thin over incidents.vendors."""
from datetime import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_read, can_run_incidents
from lifeline.core import clock
from lifeline.core.errors import Problem, Refused
from lifeline.core.spreadsheets import XLSX_TYPE
from lifeline.incidents import vendors
from lifeline.incidents.models import Incident


def _role(request) -> tuple[str, list[tuple[str, str]], Problem | None]:
    """The vendor filter (`?role=`), the known vendor roles, and the problem with an unknown one."""
    known = vendors.choices()
    role = request.GET.get("role", "")
    if role and role not in dict(known):
        return "", known, Problem("role", _("%(value)s is not a vendor role of an active plan") % {"value": role})
    return role, known, None


@can_read.page
def vendor_list(request):
    role, known, problem = _role(request)
    if problem:
        messages.error(request, problem.message)
    return render(request, "incidents/vendors.html", {
        "items": vendors.items(role), "choices": known, "role": role, "now": clock.now()})


@can_read.page
def vendor_xlsx(request):
    role, _known, problem = _role(request)
    if problem:
        return HttpResponse(problem.message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(vendors.workbook(vendors.items(role)), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="vendors{"-" + role if role else ""}.xlsx"'
    return response


def _moment(text: str) -> datetime | None:
    """A datetime-local field's value (2026-11-22T18:00) in the hospital's zone."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Refused("repair_by", _("%(value)s is not a date and time like 2026-11-22T18:00")
                      % {"value": text[:40]}) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@require_POST
@can_run_incidents.page
def commit(request, incident_id):
    """Record the vendor's committed repair time; a refusal is shown on the incident page."""
    incident = get_object_or_404(Incident.objects.select_related("plan_version"), pk=incident_id)
    try:
        vendors.commit(incident, request.POST.get("role", ""), _moment(request.POST.get("repair_by", "")),
                       request.POST.get("note", ""), request.user)
        messages.success(request, _("Committed repair time recorded"))
    except Refused as exc:
        messages.error(request, exc.for_people())
    return redirect(reverse("incidents:detail", args=[incident.pk]) + "#vendors")

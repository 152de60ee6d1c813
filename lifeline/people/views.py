from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_manage_people, can_read, signed_in
from lifeline.core import clock
from lifeline.core.errors import Refused, add_to_form
from lifeline.people import services
from lifeline.people.forms import CheckInForm, DayForm, ImportForm, SkillFilter
from lifeline.people.models import Member, Override, Shift, TeamMembership, role_label
from lifeline.people.resources import ImportRejected, MemberResource, ShiftResource, export_xlsx, import_xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPREADSHEETS = {"members": MemberResource, "shifts": ShiftResource}


@signed_in.page
def organisation(request):
    return _organisation_page(request)


def _organisation_page(request, import_form: ImportForm | None = None):
    """The teams and members; a refused import shows its errors by its fields."""
    teams = list(services.team_strength().prefetch_related("memberships__member__skills"))
    for team in teams:
        team.slots = [(TeamMembership.Kind.CORE, _("Core members"), team.core, team.core_target),
                      (TeamMembership.Kind.BACKUP, _("Backup members"), team.backup, team.backup_target)]
    members = Member.objects.prefetch_related("skills", "channels", "memberships__team")
    may_manage = can_manage_people(request.user)
    return render(request, "people/organisation.html", {
        "teams": teams, "members": members, "may_manage": may_manage,
        "import_form": (import_form or ImportForm()) if may_manage else None,
        # The spreadsheets hold the channels' Apprise URLs (webhook keys): not for every login.
        "may_export": can_read(request.user), "may_see_contacts": can_read(request.user),
    })


DAY_REACH = timedelta(days=10 * 366)  # ?date= within ten years of today: a roster's reach


def _day(request):
    """The day asked for with ?date=YYYY-MM-DD (today if absent or unreadable), in the hospital's zone;
    Refused (field "date") beyond ten years either way."""
    today = timezone.localtime(clock.now()).date()
    try:
        day = datetime.strptime(request.GET.get("date", ""), "%Y-%m-%d").date()
    except ValueError:
        day = today
    if not today - DAY_REACH <= day <= today + DAY_REACH:
        raise Refused("date", _("must be within ten years of today"))
    start = timezone.make_aware(datetime.combine(day, time.min))
    return day, start, start + timedelta(days=1)


def _bad_day(refused: Refused) -> HttpResponse:
    return HttpResponseBadRequest(f"{refused.field}: {refused.message}", content_type="text/plain; charset=utf-8")


@signed_in.page
def roster(request):
    try:
        day, start, end = _day(request)
    except Refused as refused:
        return _bad_day(refused)
    shifts = Shift.objects.filter(starts_at__lt=end, ends_at__gt=start).select_related("member")
    overrides = Override.objects.filter(starts_at__lt=end, ends_at__gt=start).select_related("member", "replaces")
    by_role = {role: [] for role in services.roster_roles(start, end)}
    for shift in shifts:
        by_role[shift.role].append(shift)
    rows = [(role, role_label(role), role_shifts) for role, role_shifts in by_role.items()]
    return render(request, "people/roster.html", {
        "day": day, "now": clock.now(), "on_duty": services.on_duty_all(), "rows": rows,
        "overrides": overrides, "may_export": can_read(request.user), "may_see_contacts": can_read(request.user),
        "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
        "day_form": DayForm(initial={"date": day}),
    })


@can_read.page
def export(request, what):
    resource = SPREADSHEETS.get(what)
    if resource is None:
        raise Http404
    queryset = None
    if what == "shifts":
        # The roster from the day shown on the page, for a month: what people print and edit.
        try:
            start = _day(request)[1]
        except Refused as refused:
            return _bad_day(refused)
        queryset = Shift.objects.filter(ends_at__gt=start, starts_at__lt=start + timedelta(days=31))
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d")
    response = HttpResponse(export_xlsx(resource(), queryset), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{what}-{stamp}.xlsx"'
    return response


@require_POST
@can_manage_people.page
def import_spreadsheet(request):
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _organisation_page(request, form)
    try:
        result = import_xlsx(SPREADSHEETS[form.cleaned_data["what"]](), form.cleaned_data["file"].read())
    except ImportRejected as rejected:
        form.add_error("file", _("Nothing was imported: %(errors)s") % {"errors": "; ".join(rejected.errors)})
        return _organisation_page(request, form)
    totals = result.totals
    messages.success(request, _("Imported: %(new)d new, %(update)d updated.")
                     % {"new": totals["new"], "update": totals["update"]})
    return redirect("people:organisation")


@signed_in.page
def check_in(request):
    own = Member.objects.filter(user=request.user).first()
    may_manage = can_manage_people(request.user)
    form = None
    if request.method == "POST":
        member = get_object_or_404(Member, pk=request.POST.get("member") or getattr(own, "pk", None))
        if not services.may_check_in(request.user, member):
            raise PermissionDenied
        form = CheckInForm(request.POST, may_choose_member=may_manage, own=own)
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in ("status", "eta_minutes", "note")}
            try:
                services.check_in(member, **fields)
            except ValidationError as exc:
                add_to_form(form, exc)
        if form.is_valid():
            messages.success(request, _("%(name)s checked in.") % {"name": member.name})
            return redirect("people:check_in")
    filters = SkillFilter(request.GET or None)
    skill = filters.cleaned_data["skill"] if filters.is_bound and filters.is_valid() else ""
    latest = services.current_check_ins()
    return render(request, "people/check_in.html", {
        "own": own, "own_check_in": latest.get(getattr(own, "pk", None)),
        "form": form or CheckInForm(may_choose_member=may_manage, own=own), "filters": filters,
        "fastest": [(member, eta, latest.get(member.pk)) for member, eta in services.fastest(skill=skill or None)],
        "may_manage": may_manage, "may_see_contacts": can_read(request.user),
    })

"""Incident pages: reporting a fault, the hotline, triage, the incident page, duty cards, the
command dashboard and the problem tracking table. Thin: every action calls a service, and
who may act is checked here, on the server, before it does."""
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_read, can_reclassify, can_report, can_run_incidents, signed_in
from lifeline.core import clock, incident_links
from lifeline.core.errors import Problem, Refused, add_to_form
from lifeline.incidents import cards, checklist, intake, levels, lifecycle, timers, tracking
from lifeline.incidents.models import (
    PEOPLE_AFFECTED_MAX,
    Assignment,
    DutyCardActivation,
    Incident,
    Report,
    TimelineEntry,
)
from lifeline.people.models import Member
from lifeline.plans import departments as plan_departments
from lifeline.plans.models import PlanVersion

TRACKING_PAGE_SIZE = 50


# --- reporting ---------------------------------------------------------------------------

class ReportForm(forms.ModelForm):
    # The range is on the page (min/max) and checked here and by the model, with words people read.
    people_affected = forms.IntegerField(
        label=Report._meta.get_field("people_affected").verbose_name, initial=1, min_value=1,
        max_value=PEOPLE_AFFECTED_MAX, error_messages={
            "min_value": gettext_lazy("People affected: at least 1 (the one who reports)"),
            "max_value": gettext_lazy("People affected: at most %(limit_value)s; count the people, not the records"),
            "invalid": gettext_lazy("People affected: a whole number, such as 6")})

    class Meta:
        model = Report
        fields = ["department", "workstation", "description", "people_affected", "contact"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "autofocus": True})}


class HotlineForm(ReportForm):
    source = forms.ChoiceField(label=gettext_lazy("taken from"), choices=[
        (Report.Source.HOTLINE, Report.Source.HOTLINE.label), (Report.Source.CHAT, Report.Source.CHAT.label)])

    class Meta(ReportForm.Meta):
        fields = ["source", *ReportForm.Meta.fields]


def _submit(request, form, **extra):
    """Store a valid form as a report; the service's refusals land on the form's fields."""
    if not form.is_valid():
        return None
    try:
        return intake.submit_report(**form.cleaned_data, **extra)
    except (Refused, ValidationError) as exc:
        add_to_form(form, exc)
        return None


@can_report.page
def report_new(request):
    """The 30-second report: department and contact come from the reporter's member record."""
    member = Member.objects.filter(user=request.user).first()
    initial = {"department": member.department, "contact": member.phone} if member else {}
    form = ReportForm(request.POST or None, initial=initial)
    report = request.method == "POST" and _submit(request, form, reporter=request.user)
    if report:
        return redirect("incidents:report_sent", number=report.number)
    mine = Report.objects.filter(reporter=request.user).select_related("incident")[:10]
    return render(request, "incidents/report_form.html", {"form": form, "hotline": False, "mine": mine})


@can_run_incidents.page
def hotline(request):
    """IT on duty takes a call (7×24 热线) or a chat-group message; the caller's contact is kept."""
    form = HotlineForm(request.POST or None)
    report = request.method == "POST" and _submit(request, form)
    if report:
        messages.success(request, _("Report %(number)s recorded") % {"number": report.number})
        return redirect("incidents:triage")
    return render(request, "incidents/report_form.html", {"form": form, "hotline": True})


def _own_report(request, number) -> Report:
    report = get_object_or_404(Report.objects.select_related("incident"), number=number)
    if report.reporter_id != request.user.pk and not can_read(request.user):
        raise PermissionDenied(str(can_read.refusal))
    return report


@signed_in.page
def report_sent(request, number):
    return render(request, "incidents/report_sent.html", {"report": _own_report(request, number)})


@signed_in.page
def report_detail(request, number):
    """The reporter's view of their report: the incident it joined and how far that has come."""
    report = _own_report(request, number)
    incident = report.incident
    steps = []
    if incident:
        steps = [(s.label, getattr(incident, f"{s.value}_at", None) if s != Incident.Status.REPORTED
                  else incident.opened_at) for s in Incident.Status]
    return render(request, "incidents/report_detail.html", {"report": report, "incident": incident, "steps": steps,
                                                            "may_read": can_read(request.user),
                                                            "outcome": _outcome(incident)})


def _outcome(incident) -> str:
    """What IT wrote when it resolved the incident (the note of its move to resolved), if anything."""
    if incident is None or incident.resolved_at is None:
        return ""
    moves = incident.timeline.filter(kind=TimelineEntry.Kind.STATUS, data__new=Incident.Status.RESOLVED)
    entry = moves.order_by("-at", "-pk").first()
    return entry.data.get("note", "") if entry else ""


# --- triage ------------------------------------------------------------------------------

class TriageForm(forms.Form):
    """The triage form's fields, to hold its refusals: the page draws the inputs itself (the plans'
    scenarios and levels grouped by plan) and shows each refusal beside the field it names."""

    reports = forms.CharField(required=False)
    incident = forms.CharField(required=False)
    title = forms.CharField(required=False)
    scenario = forms.CharField(required=False)
    scope = forms.CharField(required=False)
    users_pct = forms.CharField(required=False)
    level = forms.CharField(required=False)
    category = forms.CharField(required=False)


# The plan is chosen with its scenario: a refusal about the plan is shown beside that field.
TRIAGE_FIELD_OF = {"plan": "scenario"}


@can_read.page
def triage(request):
    """Untriaged reports: attach the chosen ones to an open incident, or open a new one (after
    asking, if they like, what level the plan's criteria suggest for the facts so far)."""
    versions = list(PlanVersion.objects.filter(is_active=True).select_related("plan").defer("source"))
    form, suggestion = TriageForm(request.POST or None), None
    if request.method == "POST":
        if not can_run_incidents(request.user):
            raise PermissionDenied(str(can_run_incidents.refusal))
        try:
            if request.POST.get("do") == "suggest":
                suggestion = _suggest(request.POST, versions)
            else:
                return redirect("incidents:detail", incident_id=_triage(request).pk)
        except Refused as exc:
            add_to_form(form, Refused.of([Problem(TRIAGE_FIELD_OF.get(p.field, p.field), p.message)
                                          for p in exc.problems]))
    return render(request, "incidents/triage.html", {
        "reports": Report.objects.filter(incident__isnull=True)[:200],
        "incidents": Incident.objects.open()[:200], "versions": versions, "scopes": Incident.Scope.choices,
        "may_act": can_run_incidents(request.user), "chosen": request.POST.getlist("reports"),
        "data": request.POST, "suggestion": suggestion, "form": form,
        "users_pct_max": lifecycle.USERS_PCT_MAX,
    })


def _triage(request) -> Incident:
    data = request.POST
    numbers = data.getlist("reports")
    if data.get("do") == "attach":
        if not numbers:
            raise Refused("reports", _("choose the reports to attach"))
        incident = Incident.objects.filter(pk=_int(data.get("incident"), "incident")).first()
        if incident is None:
            raise Refused("incident", _("choose an open incident"))
        with transaction.atomic():
            for number in numbers:
                lifecycle.attach_report(incident, number, request.user)
        return incident
    plan_id, _slash, scenario_id = data.get("scenario", "").partition("/")
    return lifecycle.open_incident(
        plan_id=plan_id, scenario_id=scenario_id, title=data.get("title", ""), reports=numbers,
        level_id=data.get("level", ""), category_id=data.get("category", ""), scope=data.get("scope", ""),
        users_pct=_users_pct(data), is_drill=data.get("is_drill") == "on", user=request.user)


def _suggest(data, versions) -> dict:
    """The level the chosen plan's criteria give the facts so far (as classify does once the
    incident is open; failing a match, the scenario's level), with the reports' count and departments."""
    plan_id, _slash, scenario_id = data.get("scenario", "").partition("/")
    version = next((v for v in versions if v.plan_id == plan_id), None)
    if version is None:
        raise Refused("scenario", _("choose a plan and scenario"))
    plan = version.content
    level_id, matched = levels.suggest_level(plan, data.get("scope", ""), _users_pct(data))
    scenario = next((s for s in plan.scenarios if s.id == scenario_id), None)
    level_id = level_id or (scenario.level if scenario else None)
    reports = list(Report.objects.filter(number__in=data.getlist("reports")).only("department"))
    return {"level": next((lv for lv in plan.levels if lv.id == level_id), None), "matched": matched,
            "reports": len(reports), "departments": sorted({r.department for r in reports})}


def _users_pct(data) -> float | None:
    """The share of users affected as typed, checked against its range before anything uses it
    (asking for a suggestion included)."""
    text = data.get("users_pct", "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Refused("users_pct", _("%(value)s is not a number") % {"value": text}) from None
    lifecycle.check_users_pct(value)
    return value


def _int(text, field) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise Refused(field, _("choose one")) from None


# --- the incident page -------------------------------------------------------------------

S = Incident.Status
# Each move's button says what it does (the badge beside the title says where the incident is),
# with its key on the keyboard.
MOVES = {
    S.ACKNOWLEDGED: (gettext_lazy("Take it on"), "a"),
    S.INVESTIGATING: (gettext_lazy("Start investigating"), "i"),
    S.MITIGATED: (gettext_lazy("Mark mitigated"), "m"),
    S.RESOLVED: (gettext_lazy("Mark resolved"), "r"),
    S.CLOSED: (gettext_lazy("Close the incident"), "c"),
}


def move_name(incident: Incident, status: str) -> str:
    """The button of a move: back from mitigated to investigating is investigating again."""
    if incident.status == S.MITIGATED and status == S.INVESTIGATING:
        return _("Investigate again")
    return str(MOVES[status][0])


def _moves(incident: Incident) -> list[tuple[str, str, str]]:
    """(status, button, key) of each move the incident may make now, in lifecycle order."""
    order = list(S.values)
    return [(status, move_name(incident, status), MOVES[status][1])
            for status in sorted(lifecycle.TRANSITIONS[incident.status], key=order.index)]


def _incident(incident_id) -> Incident:
    return get_object_or_404(Incident.objects.select_related("plan_version"), pk=incident_id)


@can_read.page
def detail(request, incident_id):
    incident = _incident(incident_id)
    plan = incident.plan
    answers = list(incident.tree_answers.filter(scenario_id=incident.scenario_id).select_related("by"))
    plan_cards = {c.id: c for c in plan.duty_cards}
    seen, mapped = cards.seen_by(incident), plan_departments.mapping(incident.plan_version.plan_id)
    return render(request, "incidents/detail.html", {
        "incident": incident, "plan": plan, "now": clock.now(),
        "category": next((c for c in plan.problem_categories if c.id == incident.category_id), None),
        "classification": (found := levels.classify(incident)),
        "suggested_level": next((lv for lv in plan.levels if lv.id == found.level), None),
        "holders": incident.assignments.filter(ends_at__isnull=True).select_related("member"),
        "role_choices": [*Assignment.Kind.choices, *((r.id, r.title) for r in plan.roles),
                         *((g.id, g.name) for g in plan.groups)],
        "members": Member.objects.filter(active=True).only("name", "department"),
        "checklist": _checklist(incident),
        "node": checklist.tree_position(incident), "answers": answers,
        "timers": incident.timers.all(), "timeline": incident.timeline.select_related("actor"),
        "max_reminder_minutes": timers.MAX_REMINDER_MINUTES,
        "reports": incident.reports.all(),
        "duty_cards": [(a, plan_cards.get(a.card_id), seen.get(a.card_id, []), cards.reached_departments(a, mapped))
                       for a in incident.duty_cards.select_related("acknowledged_by")],
        "moves": _moves(incident),
        "may_act": can_run_incidents(request.user), "may_reclassify": can_reclassify(request.user),
        "offers": incident_links.offers(request.user) if incident.is_open else [],
    })


def _checklist(incident: Incident) -> list:
    """Each step with the titles of the open steps it must wait for (empty: it may be ticked)."""
    items = list(incident.checklist.select_related("assignee", "done_by"))
    waiting = checklist.waiting_on(items)
    return [(item, waiting.get(item.pk, [])) for item in items]


def _transition(request, incident):
    """A move from the page. Resolving or closing with work still open comes back as a page
    that lists it (the domain's 409), whose button sends the same move confirmed."""
    status, note = request.POST.get("status", ""), request.POST.get("note", "").strip()
    confirmed = request.POST.get("confirmed") == "yes"
    try:
        lifecycle.transition(incident, status, request.user, note, confirmed=confirmed)
    except Refused as exc:
        if exc.status != 409:
            raise
        return render(request, "incidents/confirm_move.html", {
            "incident": incident, "status": status, "note": note, "button": move_name(incident, status),
            "left": lifecycle.left_open(incident), "status_name": S(status).label,
            # The page answers a POST: switching language goes back to the incident page.
            "language_next": reverse("incidents:detail", args=[incident.pk])})
    return None


def _member(data) -> Member:
    member = Member.objects.filter(pk=_int(data.get("member"), "member")).first()
    if member is None:
        raise Refused("member", _("choose a member"))
    return member


def _reminder(request, incident):
    return timers.add_reminder(incident, _int(request.POST.get("minutes"), "minutes"),
                               request.POST.get("text", ""), request.user)


# Action name → (the policy that may do it, what it does). Each one is a POST form on the incident page.
ACTIONS = {
    "transition": (can_run_incidents, _transition),
    "reclassify": (can_reclassify, lambda r, i: lifecycle.reclassify(i, r.POST.get("level", ""),
                                                                     r.POST.get("reason", ""), r.user)),
    "assign": (can_run_incidents, lambda r, i: lifecycle.assign(i, r.POST.get("role", ""), _member(r.POST), r.user,
                                                                r.POST.get("note", "").strip())),
    "scenario": (can_run_incidents, lambda r, i: checklist.start_scenario(i, r.POST.get("scenario", ""), r.user)),
    "tick": (can_run_incidents, lambda r, i: checklist.tick(i, _int(r.POST.get("item"), "item"), r.user)),
    "skip": (can_run_incidents, lambda r, i: checklist.skip(i, _int(r.POST.get("item"), "item"),
                                                            r.POST.get("reason", ""), r.user)),
    "reassign": (can_run_incidents, lambda r, i: checklist.reassign(i, _int(r.POST.get("item"), "item"),
                                                                    _member(r.POST), r.user)),
    "answer": (can_run_incidents, lambda r, i: checklist.answer(i, r.POST.get("node", ""), r.POST.get("answer", ""),
                                                                r.user)),
    "note": (can_run_incidents, lambda r, i: lifecycle.add_note(i, r.POST.get("text", ""), r.user)),
    "reminder": (can_run_incidents, _reminder),
    "card": (can_report, lambda r, i: cards.acknowledge_card(i, r.POST.get("card", ""), r.user)),
}


@require_POST
@signed_in.page
def act(request, incident_id, action):
    """Run one action on the incident; a refusal is shown on the page it came from. Each action
    names its own policy (ACTIONS), checked before the incident is even looked up."""
    if action not in ACTIONS:
        raise Http404
    policy, run = ACTIONS[action]
    if not policy(request.user):
        raise PermissionDenied(str(policy.refusal))
    incident = _incident(incident_id)
    try:
        shown = run(request, incident)
    except Refused as exc:
        messages.error(request, exc.for_people())
    else:
        if isinstance(shown, HttpResponse):  # a step between, such as a confirmation
            return shown
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = ""
    return redirect(back or reverse("incidents:detail", args=[incident.pk]))


# --- duty cards --------------------------------------------------------------------------

@signed_in.page
def duty_cards(request):
    """A department's activated duty cards (its member record says which); the command centre sees all."""
    member = Member.objects.filter(user=request.user).first()
    found = DutyCardActivation.objects.exclude(incident__status__in=Incident.Status.finished()).select_related(
        "incident__plan_version", "acknowledged_by")
    staff = not can_read(request.user)
    if staff and not (member and member.department):  # department staff: their own department's cards
        raise PermissionDenied(_("Your member record names no department"))
    shown, mapped = [], {}
    for activation in found:
        plan_id = activation.incident.plan_version.plan_id
        ours = cards.reaches(activation, member, mapped.setdefault(plan_id, plan_departments.mapping(plan_id)))
        if staff and not ours:
            continue
        if ours:  # the department opened its card: the incident page says who has seen it
            cards.record_seen(activation, request.user)
        card = next((c for c in activation.incident.plan.duty_cards if c.id == activation.card_id), None)
        shown.append((activation, card, cards.may_acknowledge_card(request.user, activation)))
    return render(request, "incidents/duty_cards.html", {"cards": shown, "member": member})


# --- the command dashboard ---------------------------------------------------------------

@signed_in.page
def dashboard(request):
    """The command dashboard; department staff land on their report page instead."""
    if not can_read(request.user):
        return redirect("incidents:report")
    return render(request, "incidents/dashboard.html", {**_board(request),
                                                       "offers": incident_links.offers(request.user)})


@can_read.page
def board(request):
    """The dashboard's table alone: the page reloads it every few seconds."""
    return render(request, "incidents/_board.html", _board(request))


def _board(request):
    return {"incidents": tracking.board(), "now": clock.now(), "statuses": dict(Incident.Status.choices),
            "untriaged": Report.objects.filter(incident__isnull=True).count(),
            "may_act": can_run_incidents(request.user)}


# --- the problem tracking table ----------------------------------------------------------

@can_read.page
def tracking_table(request):
    filters, errors = tracking.Filters.from_query(request.GET)
    for error in errors:
        messages.error(request, error)
    page = Paginator(tracking.with_row_data(filters.incidents()), TRACKING_PAGE_SIZE).get_page(request.GET.get("page"))
    untriaged = filters.untriaged()[:TRACKING_PAGE_SIZE] if page.number == 1 else []
    rows = [tracking.report_row(r) for r in untriaged]
    rows += [tracking.incident_row(i) for i in tracking.share_plans(list(page.object_list))]
    categories, levels = tracking.choices()
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "incidents/tracking.html", {
        "rows": rows, "page": page, "filters": filters, "query": query.urlencode(), "columns": tracking.COLUMNS,
        "categories": categories, "levels": levels, "statuses": Incident.Status.choices,
    })


@can_read.page
def tracking_xlsx(request):
    filters, errors = tracking.Filters.from_query(request.GET)
    if errors:
        return HttpResponse("; ".join(map(str, errors)), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(tracking.workbook(filters), content_type=tracking.XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="tracking.xlsx"'
    return response

"""/api/v1/reports and /api/v1/incidents: intake and incident command, thin over the incidents actions.

Who may do what is checked here on the server: department staff submit reports and read
their own; IT on duty and commanders run incidents; only commanders change a level;
auditors read. `GET /incidents?status=open` and `POST /reports` keep their shape: outside
tools call them.
"""
from datetime import datetime, timedelta

import pydantic
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lifeline.accounts.permissions import can_read, can_reclassify, can_report, can_run_incidents, signed_in
from lifeline.core.errors import Refused
from lifeline.incidents import cards, checklist, intake, levels, lifecycle, timers, tracking
from lifeline.incidents.models import NOTE_MAX_CHARS, PEOPLE_AFFECTED_MAX, Incident, Report, Timer
from lifeline.people.models import Member

router = Router(tags=["incidents"])

def _seconds(delta: timedelta | None) -> float | None:
    return delta.total_seconds() if delta is not None else None


# --- schemas -----------------------------------------------------------------------------

class ReportIn(Schema):
    department: str = Field(examples=["收费处"])
    workstation: str = Field("", examples=["门诊收费 3 号窗口"])
    description: str = Field(examples=["HIS 登录后白屏，无法收费"],
                             description="What they see (at most 2000 characters)")
    people_affected: int = Field(1, examples=[12], ge=1, le=PEOPLE_AFFECTED_MAX)
    contact: str = Field(examples=["分机 8021"])
    source: Report.Source = Field(Report.Source.API, examples=["hotline"])


class ReportOut(Schema):
    number: str = Field(examples=["BG-20261122-0007"])
    source: str
    department: str
    workstation: str
    description: str
    people_affected: int
    contact: str
    created_at: datetime
    incident: int | None = Field(alias="incident_id")
    incident_status: str | None

    @staticmethod
    def resolve_incident_status(report):
        return report.incident.status if report.incident_id else None


class IncidentListItem(Schema):
    id: int
    title: str = Field(examples=["全院 HIS 瘫痪"])
    level: str = Field(alias="level_id", examples=["class_1"])
    status: str = Field(examples=["reported"])
    opened_at: datetime
    is_drill: bool


class IncidentIn(Schema):
    plan: str = Field(examples=["his_failure"])
    title: str = Field(examples=["Whole-hospital HIS down"])
    reports: list[str] = Field([], examples=[["BG-20261122-0007"]])
    scenario: str = Field("", examples=["overall_fault"])
    level: str = Field("", description="Empty: the level the plan's criteria suggest", examples=[""])
    category: str = ""
    scope: str = Field("", examples=["whole"])
    users_pct: float | None = Field(None, examples=[60], ge=0, le=100)
    services: list[str] = []
    is_drill: bool = False


class AttachIn(Schema):
    report: str = Field(examples=["BG-20261122-0008"])


class TransitionIn(Schema):
    status: Incident.Status = Field(examples=["acknowledged"])
    note: str = ""
    # Resolving or closing with steps or duty cards still open: refused (409, naming them) unless true.
    confirmed: bool = False


class ReclassifyIn(Schema):
    level: str = Field(examples=["L1"])
    reason: str = Field(examples=["超过一半用户无法挂号"])


class RoleIn(Schema):
    role: str = Field(examples=["commander"])
    member_id: int
    note: str = ""


class SkipIn(Schema):
    reason: str = Field(examples=["备用服务器已接管，无需重启"])


class ReassignIn(Schema):
    member_id: int


class AnswerIn(Schema):
    node: str = Field(examples=["short_time"])
    answer: str = Field(examples=["No"])


class NoteIn(Schema):
    text: str = Field(examples=["厂商工程师 10 分钟后到场"])


class ScenarioIn(Schema):
    scenario: str = Field(examples=["overall_fault"])


class ReminderIn(Schema):
    minutes: int = Field(examples=[20], ge=1, le=timers.MAX_REMINDER_MINUTES)
    text: str = Field(examples=["再次确认数据库主备状态"])


class TimerOut(Schema):
    id: int
    kind: str
    key: str
    due_at: datetime
    unless: str
    text: str
    action: dict
    status: str
    fired_at: datetime | None
    fired_by: str


class TimelineOut(Schema):
    at: datetime
    kind: str
    text: str
    by: str
    data: dict

    @staticmethod
    def resolve_by(entry):
        return entry.actor.get_username() if entry.actor_id else entry.actor_name


class ChecklistOut(Schema):
    id: int
    scenario: str = Field(alias="scenario_id")
    step: str = Field(alias="step_id")
    title: str
    owner_role: str
    order: int
    after: list[str]
    due_at: datetime | None
    status: str
    reason: str
    assignee: str | None

    @staticmethod
    def resolve_assignee(item):
        return item.assignee.name if item.assignee_id else None


class DutyCardOut(Schema):
    card: str = Field(alias="card_id")
    department: str
    activated_at: datetime
    acknowledged_at: datetime | None


class RoleOut(Schema):
    role: str
    member_id: int
    member: str
    since: datetime


class TreeOut(Schema):
    node: str
    question: str | None
    answers: list[str]
    action: str | None


class ClassificationOut(Schema):
    suggested_level: str | None
    matched: list[str]
    reports: int
    departments: list[str]


class IncidentOut(IncidentListItem):
    plan: str
    plan_version: int
    level_name: str
    scenario: str
    category: str
    scope: str
    users_pct: float | None
    services: list[str]
    respond_by: datetime | None
    resolve_by: datetime | None
    acknowledged_at: datetime | None
    investigating_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    time_to_acknowledge_s: float | None
    time_to_resolve_s: float | None
    modes: dict
    classification: ClassificationOut
    roles: list[RoleOut]
    checklist: list[ChecklistOut]
    tree: TreeOut | None
    timers: list[TimerOut]
    timeline: list[TimelineOut]
    reports: list[ReportOut]
    duty_cards: list[DutyCardOut]


def _detail(incident: Incident) -> dict:
    incident = Incident.objects.select_related("plan_version").get(pk=incident.pk)
    found = levels.classify(incident)
    node = checklist.tree_position(incident)
    return {
        **{f: getattr(incident, f) for f in (
            "id", "title", "level_id", "status", "opened_at", "is_drill", "scope", "users_pct", "services",
            "respond_by", "resolve_by", "acknowledged_at", "investigating_at", "mitigated_at", "resolved_at",
            "closed_at", "modes")},
        "plan": incident.plan_version.plan_id, "plan_version": incident.plan_version.number,
        "level_name": incident.level.name if incident.level else incident.level_id,
        "scenario": incident.scenario_id, "category": incident.category_id,
        "time_to_acknowledge_s": _seconds(incident.time_to_acknowledge),
        "time_to_resolve_s": _seconds(incident.time_to_resolve),
        "classification": {"suggested_level": found.level, "matched": found.matched, "reports": found.reports,
                           "departments": found.departments},
        "roles": [{"role": a.role, "member_id": a.member_id, "member": a.member.name, "since": a.starts_at}
                  for a in incident.assignments.filter(ends_at__isnull=True).select_related("member")],
        "checklist": list(incident.checklist.select_related("assignee")),
        "tree": node and {"node": node.id, "question": node.question, "answers": [a.answer for a in node.answers],
                          "action": node.action},
        "timers": list(incident.timers.all()),
        "timeline": list(incident.timeline.select_related("actor")),
        "reports": list(incident.reports.select_related("incident")),
        "duty_cards": list(incident.duty_cards.all()),
    }


def _incident(incident_id) -> Incident:
    return get_object_or_404(Incident.objects.select_related("plan_version"), pk=incident_id)


def _member(member_id) -> Member:
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise Refused("member_id", _("no member %(id)s") % {"id": member_id})
    return member


# --- reports -----------------------------------------------------------------------------

@router.post("/reports", response={201: ReportOut}, auth=can_report.api)
def submit_report(request, payload: ReportIn):
    """Report a fault; the answer carries the number to quote (报告编号)."""
    report = intake.submit_report(reporter=request.user, **payload.dict())
    return Status(201, report)


@router.get("/reports", response=list[ReportOut], auth=signed_in.api)
def reports(request, untriaged: bool = False):
    """Reports, newest first: all of them for the command centre, one's own for department staff."""
    found = Report.objects.select_related("incident")
    if not can_read(request.user):
        found = found.filter(reporter=request.user)
    if untriaged:
        found = found.filter(incident__isnull=True)
    return found[:500]


@router.get("/reports/{number}", response=ReportOut, auth=signed_in.api)
def report(request, number: str):
    found = get_object_or_404(Report.objects.select_related("incident"), number=number)
    if not can_read(request.user) and found.reporter_id != request.user.pk:
        raise Refused.forbidden(_("You may read your own reports only"))
    return found


# --- incidents ---------------------------------------------------------------------------

@router.get("/incidents", response=list[IncidentListItem], auth=can_read.api)
def incidents(request, status: str = "", drills: bool = True):
    """Incidents, newest first. `status=open`: not resolved or closed; or one status by name."""
    found = Incident.objects.all()
    if status == "open":
        found = found.open()
    elif status:
        if status not in Incident.Status.values:
            raise Refused("status", _("use open or one of %(known)s") % {"known": ", ".join(Incident.Status.values)})
        found = found.filter(status=status)
    if not drills:
        found = found.real()
    return found[:1000]


@router.get("/incidents/tracking.xlsx", openapi_extra={"responses": {200: {
    "description": "上线问题跟踪表 as an Excel workbook",
    "content": {tracking.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}}}, auth=can_read.api)
def tracking_xlsx(request, status: str = "", category: str = "", level: str = "", since: str = "",
                  until: str = "", drill: str = ""):
    """The problem tracking table (上线问题跟踪表) as .xlsx, filtered like the page:
    status (a status, open or untriaged), category, level, since/until (YYYY-MM-DD), drill (only|none)."""
    filters, errors = tracking.Filters.from_query(
        {"status": status, "category": category, "level": level, "since": since, "until": until, "drill": drill})
    if errors:
        raise Refused.of(errors)
    response = HttpResponse(tracking.workbook(filters), content_type=tracking.XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="tracking.xlsx"'
    return response


@router.post("/incidents", response={201: IncidentOut}, auth=can_run_incidents.api)
def open_incident(request, payload: IncidentIn):
    """Open an incident (from reports, or directly); without a level the plan's criteria suggest one."""
    data = payload.dict()
    incident = lifecycle.open_incident(plan_id=data.pop("plan"), scenario_id=data.pop("scenario"),
                    level_id=data.pop("level"), category_id=data.pop("category"), user=request.user, **data)
    return Status(201, _detail(incident))


@router.get("/incidents/{incident_id}", response=IncidentOut, auth=can_read.api)
def incident(request, incident_id: int):
    return _detail(_incident(incident_id))


@router.post("/incidents/{incident_id}/reports", response=IncidentOut, auth=can_run_incidents.api)
def attach_report(request, incident_id: int, payload: AttachIn):
    """Triage: attach a report to this incident."""
    incident = _incident(incident_id)
    lifecycle.attach_report(incident, payload.report, request.user)
    return _detail(incident)


@router.post("/incidents/{incident_id}/transition", response=IncidentOut, auth=can_run_incidents.api)
def transition(request, incident_id: int, payload: TransitionIn):
    """Move the incident on. Resolving or closing with checklist steps open or duty cards
    unacknowledged answers 409 naming each of them; send `confirmed: true` to go ahead."""
    incident = _incident(incident_id)
    lifecycle.transition(incident, payload.status, request.user, payload.note, confirmed=payload.confirmed)
    return _detail(incident)


@router.post("/incidents/{incident_id}/reclassify", response=IncidentOut, auth=can_reclassify.api)
def reclassify(request, incident_id: int, payload: ReclassifyIn):
    """Change the level (commanders only), with a reason; the SLA deadlines follow."""
    incident = _incident(incident_id)
    lifecycle.reclassify(incident, payload.level, payload.reason, request.user)
    return _detail(incident)


@router.post("/incidents/{incident_id}/roles", response=IncidentOut, auth=can_run_incidents.api)
def assign_role(request, incident_id: int, payload: RoleIn):
    """Give a role (commander, deputy, scribe, liaison or a plan role/group) to a member: a handover."""
    incident = _incident(incident_id)
    lifecycle.assign(incident, payload.role, _member(payload.member_id), request.user, payload.note)
    return _detail(incident)


@router.post("/incidents/{incident_id}/scenario", response=IncidentOut, auth=can_run_incidents.api)
def start_scenario(request, incident_id: int, payload: ScenarioIn):
    incident = _incident(incident_id)
    checklist.start_scenario(incident, payload.scenario, request.user)
    return _detail(incident)


@router.post("/incidents/{incident_id}/checklist/{item_id}/tick", response=ChecklistOut, auth=can_run_incidents.api)
def tick(request, incident_id: int, item_id: int):
    return checklist.tick(_incident(incident_id), item_id, request.user)


@router.post("/incidents/{incident_id}/checklist/{item_id}/skip", response=ChecklistOut, auth=can_run_incidents.api)
def skip(request, incident_id: int, item_id: int, payload: SkipIn):
    return checklist.skip(_incident(incident_id), item_id, payload.reason, request.user)


@router.post("/incidents/{incident_id}/checklist/{item_id}/reassign", response=ChecklistOut, auth=can_run_incidents.api)
def reassign(request, incident_id: int, item_id: int, payload: ReassignIn):
    return checklist.reassign(_incident(incident_id), item_id, _member(payload.member_id), request.user)


@router.post("/incidents/{incident_id}/tree/answer", response=TreeOut, auth=can_run_incidents.api)
def answer(request, incident_id: int, payload: AnswerIn):
    """Answer the decision tree's current question; the answer is the node it leads to."""
    node = checklist.answer(_incident(incident_id), payload.node, payload.answer, request.user)
    return {"node": node.id, "question": node.question, "answers": [a.answer for a in node.answers],
            "action": node.action}


# A note's JSON is read here, not by Django: a body over Django's upload limit would get a bare
# "400 Bad Request" page. 10,000 characters fit in this many bytes even as \uXXXX escapes.
NOTE_BODY_MAX_BYTES = 6 * NOTE_MAX_CHARS + 1024


@router.post("/incidents/{incident_id}/notes", response={201: TimelineOut}, auth=can_run_incidents.api,
             openapi_extra={"requestBody": {"required": True,
                                            "content": {"application/json": {"schema": NoteIn.model_json_schema()}}}})
def add_note(request, incident_id: int):
    """A note on the timeline (at most 10,000 characters); the body is checked first, as ninja does
    for every other route."""
    size = int(request.META.get("CONTENT_LENGTH") or 0)
    if size > NOTE_BODY_MAX_BYTES:
        raise Refused("text", _("a note holds at most %(max)s characters; this request is %(size)s bytes")
                      % {"max": NOTE_MAX_CHARS, "size": size}, status=413)
    try:
        payload = NoteIn.model_validate_json(request.body)
    except pydantic.ValidationError as exc:
        raise Refused("text", _('send {"text": "..."} as JSON')) from exc
    return Status(201, lifecycle.add_note(_incident(incident_id), payload.text, request.user))


@router.get("/incidents/{incident_id}/timers", response=list[TimerOut], auth=can_read.api)
def incident_timers(request, incident_id: int):
    return Timer.objects.filter(incident=_incident(incident_id))


@router.post("/incidents/{incident_id}/timers", response={201: TimerOut}, auth=can_run_incidents.api)
def add_reminder(request, incident_id: int, payload: ReminderIn):
    """A reminder in `minutes`; refused for a resolved or closed incident."""
    return Status(201, timers.add_reminder(_incident(incident_id), payload.minutes, payload.text,
                            request.user))


@router.post("/incidents/{incident_id}/duty-cards/{card_id}/acknowledge", response=DutyCardOut, auth=can_report.api)
def acknowledge_card(request, incident_id: int, card_id: str):
    """The department acknowledges its duty card (department staff of that department, or the command centre)."""
    return cards.acknowledge_card(_incident(incident_id), card_id, request.user)


"""/api/v1/analysis: an incident's fault analysis, its follow-ups, and incident statistics.

Commanders and IT on duty write; auditors read; department staff get 403 (policies in
lifeline.accounts.permissions). Refusals are the API's one error shape.
"""
from datetime import date, datetime, timedelta

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lifeline.accounts.permissions import can_edit_analysis, can_read
from lifeline.analysis import services, statistics
from lifeline.analysis.models import FollowUp
from lifeline.core.errors import Refused
from lifeline.incidents.models import Incident

router = Router(tags=["analysis"])


def _seconds(delta: timedelta | None) -> float | None:
    return delta.total_seconds() if delta is not None else None


def _incident(incident_id) -> Incident:
    return get_object_or_404(Incident.objects.select_related("plan_version"), pk=incident_id)


# --- schemas -----------------------------------------------------------------------------

class FiguresOut(Schema):
    reports: int
    people_affected: int
    departments: list[str] = Field(examples=[["检验科", "生殖医学中心"]])
    duration_s: float | None = Field(description="Opened to resolved, in seconds")
    time_to_acknowledge_s: float | None
    time_to_resolve_s: float | None
    respond_by: datetime | None
    resolve_by: datetime | None
    acknowledged_in_time: bool | None = Field(description="null: no deadline, or not done and not yet due")
    resolved_in_time: bool | None


class FollowUpOut(Schema):
    id: int
    incident: int = Field(alias="incident_id")
    title: str = Field(examples=["升级应用服务器操作系统补丁"])
    owner_id: int | None
    owner: str = Field(alias="owner_name", examples=["某 HIS 厂商"])
    due_on: date
    overdue: bool
    done_at: datetime | None
    result: str

    @staticmethod
    def resolve_overdue(follow_up):
        return not follow_up.is_done and follow_up.due_on < services.today()


class AnalysisOut(Schema):
    incident: int
    title: str
    is_drill: bool
    saved: bool = Field(description="false: nothing stored yet; the texts are suggested from the record")
    summary: list[tuple[str, str]]
    figures: FiguresOut
    timeline: list[dict]
    checklist: list[dict]
    decisions: list[tuple[str, str]]
    timers: list[dict]
    duty_cards: list[dict]
    cause: str
    went_well: str
    went_badly: str
    lessons: str
    plan_changes: str
    follow_ups: list[FollowUpOut]


class AnalysisIn(Schema):
    cause: str | None = Field(None, examples=["应用服务器操作系统损坏"])
    went_well: str | None = None
    went_badly: str | None = None
    lessons: str | None = Field(None, examples=["每季度巡检应用服务器"])
    plan_changes: str | None = None


class FollowUpIn(Schema):
    title: str = Field("", examples=["升级应用服务器操作系统补丁"])
    due_on: str = Field("", description="YYYY-MM-DD", examples=["2026-12-01"])
    owner_id: int | None = Field(None, description="A member; or name a vendor")
    vendor: str = Field("", examples=["某 HIS 厂商"])


class DoneIn(Schema):
    result: str = Field("", examples=["补丁已安装并验证"])


class DurationsOut(Schema):
    count: int
    median_s: float | None
    p90_s: float | None


class ComplianceOut(Schema):
    counted: int
    met: int
    pct: float | None


class RowOut(Schema):
    level: str = Field(description="The level's name; empty for all levels together")
    incidents: int
    acknowledge: DurationsOut
    resolve: DurationsOut
    respond_sla: ComplianceOut
    resolve_sla: ComplianceOut


class MonthOut(Schema):
    month: str = Field(examples=["2026-11"])
    counts: dict[str, int]
    total: int


class StatisticsOut(Schema):
    levels: list[str]
    months: list[MonthOut]
    levels_detail: list[RowOut]
    total: RowOut
    drills_excluded: int


def _analysis(incident: Incident) -> dict:
    prepared = services.build(incident)
    facts = prepared.figures
    return {
        "incident": prepared.incident.pk, "title": prepared.incident.title, "is_drill": prepared.incident.is_drill,
        "saved": prepared.analysis.pk is not None, "summary": prepared.summary,
        "figures": {**vars(facts), "duration_s": _seconds(facts.duration),
                    "time_to_acknowledge_s": _seconds(facts.time_to_acknowledge),
                    "time_to_resolve_s": _seconds(facts.time_to_resolve)},
        "timeline": prepared.timeline, "checklist": prepared.checklist, "decisions": prepared.decisions,
        "timers": prepared.timers, "duty_cards": prepared.duty_cards,
        **{name: getattr(prepared.analysis, name) for name in prepared.analysis.TEXT_FIELDS},
        "follow_ups": list(prepared.incident.follow_ups.select_related("owner")),
    }


def _row(row: statistics.Row) -> dict:
    def spans(d):
        return {"count": d.count, "median_s": _seconds(d.median), "p90_s": _seconds(d.p90)}

    def sla(c):
        return {"counted": c.counted, "met": c.met, "pct": c.pct}

    return {"level": row.name, "incidents": row.incidents, "acknowledge": spans(row.acknowledge),
            "resolve": spans(row.resolve), "respond_sla": sla(row.respond_sla), "resolve_sla": sla(row.resolve_sla)}


# --- endpoints -----------------------------------------------------------------------------

@router.get("/incidents/{incident_id}", response=AnalysisOut, auth=can_read.api)
def analysis(request, incident_id: int):
    """The fault analysis prepared of an incident: stored texts, or texts suggested from its record."""
    return _analysis(_incident(incident_id))


@router.put("/incidents/{incident_id}", response=AnalysisOut, auth=can_edit_analysis.api)
def save_analysis(request, incident_id: int, payload: AnalysisIn):
    """Write the analysis (fields left out keep their text); refused while the incident is open."""
    incident = _incident(incident_id)
    services.save_analysis(incident, request.user, **payload.dict(exclude_none=True))
    return _analysis(incident)


@router.post("/incidents/{incident_id}/follow-ups", response={201: FollowUpOut}, auth=can_edit_analysis.api)
def add_follow_up(request, incident_id: int, payload: FollowUpIn):
    return Status(201, services.add_follow_up(_incident(incident_id), user=request.user, **payload.dict()))


@router.get("/follow-ups", response=list[FollowUpOut], auth=can_read.api)
def follow_ups(request, status: str = "open"):
    """Follow-ups by `status`: open (default), overdue, done or all; soonest due first."""
    found = FollowUp.objects.select_related("owner")
    choices = {"open": found.open(), "overdue": found.overdue(services.today()),
               "done": found.filter(done_at__isnull=False), "all": found}
    if status not in choices:
        raise Refused("status", _("use one of %(known)s") % {"known": ", ".join(choices)})
    return choices[status][:1000]


@router.post("/follow-ups/{follow_up_id}/done", response=FollowUpOut, auth=can_edit_analysis.api)
def follow_up_done(request, follow_up_id: int, payload: DoneIn):
    return services.mark_done(get_object_or_404(FollowUp, pk=follow_up_id), request.user, payload.result)


@router.get("/statistics", response=StatisticsOut, auth=can_read.api)
def statistics_json(request):
    """Incidents by level and month, time to acknowledge and resolve, SLA compliance; drills left out."""
    found = statistics.compute()
    return {"levels": found.levels,
            "months": [{"month": m, "counts": dict(zip(found.levels, counts, strict=True)), "total": total}
                       for m, counts, total in found.months],
            "levels_detail": [_row(r) for r in found.rows], "total": _row(found.total),
            "drills_excluded": found.drills_excluded}

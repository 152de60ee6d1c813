"""/api/v1/drills: drills with each milestone against its target, planning, starting, recording
a milestone, ending, findings.

Commanders and IT on duty run drills (can_run_incidents); auditors read (can_read). Refusals
are the API's one error shape, naming the field (a running drill cannot start again: 409).
"""
from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from lifeline.accounts.permissions import can_read, can_run_incidents
from lifeline.drills import report, results, services
from lifeline.drills.models import Drill, Finding

router = Router(tags=["drills"])
MINUTES_MAX = 24 * 60


class ResultOut(Schema):
    milestone: str = Field(examples=["restore"])
    target_minutes: int | None
    reached_at: datetime | None
    minutes: float | None
    met: bool | None
    verdict: str = Field(examples=["超出目标 2 分钟"])


class FindingOut(Schema):
    id: int
    drill_id: int
    title: str = Field(examples=["预案中备用接口的IP地址写错"])
    fix: str
    owner: str
    deadline: date
    status: str
    done_at: datetime | None


class DrillOut(Schema):
    id: int
    title: str
    plan_id: str
    scenario_id: str
    planned_at: datetime
    status: str
    incident_id: int | None
    station_ids: list[int] = Field(description="workstations in drill mode while the drill runs")
    started_at: datetime | None
    ended_at: datetime | None
    milestones: list[ResultOut]
    findings: list[FindingOut]

    @staticmethod
    def resolve_milestones(drill):
        return [{"milestone": r.milestone, "target_minutes": r.target, "reached_at": r.at, "minutes": r.minutes,
                 "met": r.met, "verdict": report.verdict(r, drill)} for r in results.results(drill)]

    @staticmethod
    def resolve_station_ids(drill):
        return sorted(drill.stations.values_list("pk", flat=True))

    @staticmethod
    def resolve_findings(drill):
        return list(drill.findings.all())


class DrillIn(Schema):
    plan_id: str = Field(max_length=64, examples=["internet_hospital"])
    scenario_id: str = Field(max_length=64, examples=["network_outage"])
    planned_at: datetime
    title: str = Field("", max_length=200)
    length_minutes: int = Field(60, ge=5, le=MINUTES_MAX)
    participants: str = Field("", max_length=2000)
    observers: str = Field("", max_length=500)
    target_detect: int | None = Field(None, ge=0, le=MINUTES_MAX)
    target_acknowledge: int | None = Field(None, ge=0, le=MINUTES_MAX)
    target_emergency: int | None = Field(None, ge=0, le=MINUTES_MAX)
    target_restore: int | None = Field(None, ge=0, le=MINUTES_MAX)
    fault_target: str = Field("", max_length=64)
    stations: list[int] = Field([], max_length=200, description="ids of workstations put in drill mode")


class MilestoneIn(Schema):
    milestone: str = Field(max_length=12, examples=["detect"])


class FindingIn(Schema):
    title: str = Field(max_length=300)
    fix: str = Field("", max_length=300)
    owner: str = Field(max_length=100)
    deadline: date


class FindingStatusIn(Schema):
    status: str = Field(max_length=12, examples=["done"])


def _drill(drill_id: int) -> Drill:
    return get_object_or_404(Drill, pk=drill_id)


@router.get("/drills", response=list[DrillOut], auth=can_read.api)
def drill_list(request):
    return list(Drill.objects.all()[:100])


@router.post("/drills", response={201: DrillOut}, auth=can_run_incidents.api)
def plan(request, payload: DrillIn):
    given = payload.dict(exclude_none=True)
    return Status(201, services.plan_drill(**given))


@router.get("/drills/{drill_id}", response=DrillOut, auth=can_read.api)
def drill_detail(request, drill_id: int):
    drill = _drill(drill_id)
    if drill.status == Drill.Status.RUNNING:
        services.sync_milestones(drill)
    return drill


@router.post("/drills/{drill_id}/start", response=DrillOut, auth=can_run_incidents.api)
def start(request, drill_id: int):
    return services.start(_drill(drill_id), request.user)


@router.post("/drills/{drill_id}/milestones", response={201: DrillOut}, auth=can_run_incidents.api)
def record_milestone(request, drill_id: int, payload: MilestoneIn):
    drill = _drill(drill_id)
    services.record_milestone(drill, payload.milestone, request.user)
    return Status(201, drill)


@router.post("/drills/{drill_id}/end", response=DrillOut, auth=can_run_incidents.api)
def end(request, drill_id: int):
    return services.end(_drill(drill_id), request.user)


@router.post("/drills/{drill_id}/findings", response={201: FindingOut}, auth=can_run_incidents.api)
def add_finding(request, drill_id: int, payload: FindingIn):
    return Status(201, services.add_finding(_drill(drill_id), **payload.dict()))


@router.post("/drills/findings/{finding_id}/status", response=FindingOut, auth=can_run_incidents.api)
def finding_status(request, finding_id: int, payload: FindingStatusIn):
    return services.set_finding_status(get_object_or_404(Finding, pk=finding_id), payload.status)

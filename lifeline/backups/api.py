"""/api/v1/backups: the catalogue with its 3-2-1 view and achieved RPO, checking jobs, restore
tests and their runs, DR components and starting their procedures.

IT on duty change things (can_manage_readiness); commanders and auditors read (can_read);
commanders and IT on duty start a failover (can_run_incidents). Refusals are the API's one shape.
"""
from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from lifeline.accounts.permissions import can_manage_readiness, can_read, can_run_incidents
from lifeline.backups import dr, evidence, services
from lifeline.backups.models import BackupJob, DrComponent, RestoreTest

router = Router(tags=["backups"])


class JobOut(Schema):
    id: int
    name: str = Field(examples=["全量备份"])
    kind: str
    every_hours: int
    state: str = Field(description="unknown, ok, missed, shrunk or bad_checksum")
    state_reason: str
    last_run_at: datetime | None
    checked_at: datetime | None


class SystemOut(Schema):
    id: int
    name: str = Field(examples=["HIS"])
    rpo_minutes: int
    rto_minutes: int
    copies: int
    media: int
    offsite: int
    three_two_one: bool
    newest_good: datetime | None
    achieved_rpo_minutes: int | None
    rpo_met: bool
    jobs: list[JobOut]


class RunOut(Schema):
    id: int
    started_at: datetime
    status: str = Field(description="running, passed, failed or refused")
    reason: str
    seconds: float | None = Field(description="the achieved RTO of this run")
    backup_path: str
    checks: list[dict]


class SwitchoverIn(Schema):
    direction: str = Field(examples=["failover"], description="failover or failback")
    drill: bool = True


class SwitchoverOut(Schema):
    id: int
    incident_id: int
    direction: str


def _system(view: services.SystemView) -> dict:
    s = view.system
    return {"id": s.pk, "name": s.name, "rpo_minutes": s.rpo_minutes, "rto_minutes": s.rto_minutes,
            "copies": view.copies, "media": view.media, "offsite": view.offsite, "three_two_one": view.three_two_one,
            "newest_good": view.newest_good, "achieved_rpo_minutes": view.achieved_rpo_minutes,
            "rpo_met": view.rpo_met, "jobs": view.jobs}


@router.get("/systems", response=list[SystemOut], auth=can_read.api)
def systems(request):
    """Every backed-up system: its jobs' states, 3-2-1 counts and achieved RPO against the objective."""
    return [_system(v) for v in services.catalogue()]


@router.post("/jobs/{job_id}/check", response=JobOut, auth=can_manage_readiness.api)
def check_job(request, job_id: int):
    """Scan the job's destinations and read its heartbeat now; a missed or shrunken backup raises its alert."""
    return evidence.check_job(get_object_or_404(BackupJob.objects.select_related("system", "heartbeat"), pk=job_id))


@router.get("/restore-tests/{test_id}/runs", response=list[RunOut], auth=can_read.api)
def runs(request, test_id: int):
    """The test's runs, newest first (the last 100)."""
    return get_object_or_404(RestoreTest, pk=test_id).runs.all()[:100]


@router.post("/restore-tests/{test_id}/run", response={202: dict}, auth=can_manage_readiness.api)
def run(request, test_id: int):
    """Queue the restore test: the worker starts it within a minute."""
    services.queue_now(get_object_or_404(RestoreTest, pk=test_id))
    return Status(202, {"queued": True})


@router.post("/dr/components/{component_id}/switchover", response={201: SwitchoverOut},
             auth=can_run_incidents.api)
def switchover(request, component_id: int, payload: SwitchoverIn):
    """Start the component's failover or failback procedure as an incident (or a drill)."""
    started = dr.start(get_object_or_404(DrComponent, pk=component_id), payload.direction, drill=payload.drill,
                       user=request.user)
    return Status(201, started)

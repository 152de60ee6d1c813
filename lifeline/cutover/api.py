"""/api/v1/cutovers: the cutover boards. Everyone signed in reads; commanders and IT on duty
change (can_run_cutover). Refusals are the API's one error shape."""
from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lifeline.accounts.permissions import can_run_cutover, signed_in
from lifeline.core.errors import Refused
from lifeline.cutover import services
from lifeline.cutover.models import Cutover, GoCheck, Task
from lifeline.cutover.prediction import predict

router = Router(tags=["cutover"])


class TaskOut(Schema):
    id: int
    title: str = Field(examples=["老系统基础数据迁移"])
    unit: str = Field(examples=["省药采中心"])
    owner: str
    deadline: datetime
    status: str = Field(examples=["todo"])
    depends_on: list[int]
    done_at: datetime | None

    @staticmethod
    def resolve_depends_on(task):
        return [t.pk for t in task.depends_on.all()]


class CheckOut(Schema):
    id: int
    question: str
    answer: bool | None
    signed_by: str | None
    signed_at: datetime | None

    @staticmethod
    def resolve_signed_by(check):
        return check.signed_by.username if check.signed_by else None


class EventOut(Schema):
    at: datetime
    text: str


class RehearsalOut(Schema):
    id: int
    started_at: datetime
    ended_at: datetime
    table_rows: dict[str, int]
    problems: str
    comparison: list[dict] | None


class CutoverOut(Schema):
    id: int
    name: str
    planned_at: datetime
    old_system: str
    new_system: str
    status: str
    fallback_plan: str
    fallback_scenario: str


class PredictionOut(Schema):
    rehearsals: int
    rows: int
    expected_seconds: float
    cautious_seconds: float


class BoardOut(CutoverOut):
    tasks: list[TaskOut]
    checks: list[CheckOut]
    events: list[EventOut]
    rehearsals: list[RehearsalOut]
    prediction: PredictionOut | None

    @staticmethod
    def resolve_prediction(cutover):
        found = predict(list(cutover.rehearsals.all()))
        return None if found is None else {
            "rehearsals": found.rehearsals, "rows": found.rows,
            "expected_seconds": found.expected.total_seconds(), "cautious_seconds": found.cautious.total_seconds()}

    @staticmethod
    def resolve_tasks(cutover):
        return cutover.tasks.prefetch_related("depends_on")


class TaskIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=100)
    owner: str = Field(min_length=1, max_length=100)
    deadline: datetime
    depends_on: list[int] = []


class StatusIn(Schema):
    status: str = Field(examples=["done"])


class SignIn(Schema):
    answer: bool
    note: str = Field("", max_length=200)


class EventIn(Schema):
    text: str = Field(min_length=1, max_length=300)


class RehearsalIn(Schema):
    started_at: datetime
    ended_at: datetime
    table_rows: dict[str, int]
    problems: str = ""


@router.get("/cutovers", response=list[CutoverOut], auth=signed_in.api)
def cutovers(request):
    return Cutover.objects.all()


@router.get("/cutovers/{cutover_id}", response=BoardOut, auth=signed_in.api)
def board(request, cutover_id: int):
    return get_object_or_404(Cutover, pk=cutover_id)


@router.post("/cutovers/{cutover_id}/tasks", response={201: TaskOut}, auth=can_run_cutover.api)
def add_task(request, cutover_id: int, body: TaskIn):
    cutover = get_object_or_404(Cutover, pk=cutover_id)
    depends_on = list(Task.objects.filter(pk__in=body.depends_on))
    if len(depends_on) != len(set(body.depends_on)):
        raise Refused("depends_on", _("No such task"))
    return Status(201, services.add_task(cutover, request.user, **body.dict(exclude={"depends_on"}),
                                         depends_on=depends_on))


@router.post("/cutovers/{cutover_id}/tasks/{task_id}/status", response=TaskOut, auth=can_run_cutover.api)
def task_status(request, cutover_id: int, task_id: int, body: StatusIn):
    task = get_object_or_404(Task, pk=task_id, cutover_id=cutover_id)
    return services.set_task_status(task, body.status, request.user)


@router.post("/cutovers/{cutover_id}/checks/{check_id}/sign", response=CheckOut, auth=can_run_cutover.api)
def sign_check(request, cutover_id: int, check_id: int, body: SignIn):
    check = get_object_or_404(GoCheck, pk=check_id, cutover_id=cutover_id)
    return services.sign_check(check, body.answer, request.user, body.note)


@router.post("/cutovers/{cutover_id}/events", response={201: EventOut}, auth=can_run_cutover.api)
def add_event(request, cutover_id: int, body: EventIn):
    return Status(201, services.record(get_object_or_404(Cutover, pk=cutover_id), body.text, request.user))


@router.post("/cutovers/{cutover_id}/rehearsals", response={201: RehearsalOut}, auth=can_run_cutover.api)
def add_rehearsal(request, cutover_id: int, body: RehearsalIn):
    cutover = get_object_or_404(Cutover, pk=cutover_id)
    return Status(201, services.add_rehearsal(cutover, request.user, **body.dict()))

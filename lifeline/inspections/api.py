"""/api/v1/inspections: today's rounds, completing one, the spare-parts stock and taking parts out.

IT on duty writes (can_manage_readiness); commanders and auditors read (can_read). Refusals are
the API's one error shape; an answer's field is named as on the page (item-12-passed).
"""
from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from lifeline.accounts.permissions import can_manage_readiness, can_read
from lifeline.core import clock
from lifeline.inspections import parts, services
from lifeline.inspections.models import Round, SparePart

router = Router(tags=["inspections"])


class ResultOut(Schema):
    item_id: int
    passed: bool
    value: float | None
    reading: str
    note: str


class ItemOut(Schema):
    id: int
    title: str = Field(examples=["机房温度"])
    kind: str = Field(examples=["manual"])
    unit: str
    low: float | None
    high: float | None


class RoundOut(Schema):
    id: int
    checklist: str = Field(alias="checklist.name")
    frequency: str = Field(alias="checklist.frequency")
    period_start: date
    period_end: date
    due_at: datetime
    overdue: bool
    completed_at: datetime | None
    completed_by: str | None
    items: list[ItemOut]
    results: list[ResultOut]

    @staticmethod
    def resolve_overdue(round_):
        return round_.is_overdue(clock.now())

    @staticmethod
    def resolve_completed_by(round_):
        return round_.completed_by.username if round_.completed_by else None

    @staticmethod
    def resolve_items(round_):
        return list(round_.checklist.items.all())

    @staticmethod
    def resolve_results(round_):
        return list(round_.results.all())


class AnswerIn(Schema):
    item_id: int
    passed: bool | None = None
    value: float | None = None
    note: str = Field("", max_length=500)


class CompleteIn(Schema):
    answers: list[AnswerIn] = Field(max_length=500)
    note: str = Field("", max_length=2000)


class PartOut(Schema):
    id: int
    name: str = Field(examples=["核心交换机（备机）"])
    category: str
    model: str
    location: str
    quantity: int
    minimum: int
    below_minimum: bool
    replaces: str


class WithdrawIn(Schema):
    quantity: int = Field(ge=1, le=10_000)
    incident: int
    reason: str = Field(max_length=300)


class WithdrawalOut(Schema):
    id: int
    part_id: int
    quantity: int
    incident_id: int
    reason: str
    taken_at: datetime


@router.get("/today", response=list[RoundOut], auth=can_read.api)
def today(request):
    return services.todays_rounds()


@router.post("/rounds/{round_id}/complete", response=RoundOut, auth=can_manage_readiness.api)
def complete(request, round_id: int, payload: CompleteIn):
    answers = {a.item_id: services.Answer(a.passed, a.value, a.note) for a in payload.answers}
    return services.complete(get_object_or_404(Round, pk=round_id), request.user, answers, payload.note)


@router.get("/parts", response=list[PartOut], auth=can_read.api)
def part_list(request):
    return list(SparePart.objects.all())


@router.post("/parts/{part_id}/withdrawals", response={201: WithdrawalOut}, auth=can_manage_readiness.api)
def withdraw(request, part_id: int, payload: WithdrawIn):
    return Status(201, parts.withdraw(get_object_or_404(SparePart, pk=part_id), quantity=payload.quantity,
                                      incident_id=payload.incident, reason=payload.reason, user=request.user))

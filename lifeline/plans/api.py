"""/api/v1/plans: the plans, their versions, loading a plan file and choosing the active version."""
from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from lifeline.accounts.permissions import can_edit_plans, signed_in
from lifeline.core.errors import Problem, Refused
from lifeline.plans import services
from lifeline.plans.models import Plan, PlanVersion

router = Router(tags=["plans"])

EXAMPLE_YAML = """\
id: demo-his
name: 示范医院HIS系统故障应急预案
organisation: 示范市第一人民医院
systems: [HIS]
version: "2024.1"
effective_date: 2024-01-01
review_date: 2025-01-01
groups:
  - {id: hq, name: 应急指挥中心, kind: command, lead: commander}
roles:
  - {id: commander, title: 总指挥, group: hq}
levels:
  - {id: L1, name: 一级, rank: 1, sla: {respond: immediate}, lead: commander}
scenarios:
  - id: his_down
    name: HIS 全院中断
    level: L1
    risk: 全院挂号收费中断
    steps:
      - {id: assess, title: 评估故障范围, owner: commander, due: 5min}
"""


class PlanOut(Schema):
    id: str
    name: str
    organisation: str
    language: str
    active_version: int | None = None


class VersionOut(Schema):
    plan: str
    number: int
    is_active: bool
    sha256: str
    loaded_at: datetime
    loaded_by: str | None = None
    activated_at: datetime | None = None

    @staticmethod
    def resolve_plan(version):
        return version.plan_id

    @staticmethod
    def resolve_loaded_by(version):
        return version.loaded_by.username if version.loaded_by else None


@router.get("/", response=list[PlanOut], summary="Plans and their active version number", auth=signed_in.api)
def list_plans(request):
    active = dict(PlanVersion.objects.filter(is_active=True).values_list("plan_id", "number"))
    return [PlanOut(id=p.id, name=p.name, organisation=p.organisation, language=p.language,
                    active_version=active.get(p.id)) for p in Plan.objects.all()]


# Before /{plan_id}, which would otherwise take "load" for a plan id.
@router.post(
    "/load", response={201: VersionOut}, auth=can_edit_plans.api,
    summary="Load a plan file (YAML in the request body) as a new version",
    description="The plan is checked first; with any problem nothing is stored and every problem is returned "
    "(400) with its field and line. Loading a text that is already stored returns that version. "
    "Only commanders and administrators may load plans.",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/yaml": {"schema": {"type": "string"}, "example": EXAMPLE_YAML}}}},
)
def load_plan(request, activate: bool = True):
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused("", _("the body must be UTF-8 YAML text")) from exc
    try:
        version = services.load_text(text, user=request.user, activate=activate)
    except services.PlanInvalid as exc:
        raise Refused.of([Problem(p.field, p.reason, p.line) for p in exc.problems]) from exc
    return Status(201, version)


@router.get("/{plan_id}", response=dict, summary="The active version of a plan, as JSON", auth=signed_in.api)
def get_plan(request, plan_id: str):
    try:
        return services.active_version(plan_id).data
    except PlanVersion.DoesNotExist as exc:
        raise Refused.not_found("plan_id", _("no plan %(plan)s") % {"plan": plan_id}) from exc


@router.get("/{plan_id}/versions", response=list[VersionOut],
            summary="Every stored version of a plan, newest first", auth=signed_in.api)
def list_versions(request, plan_id: str):
    if not Plan.objects.filter(pk=plan_id).exists():
        raise Refused.not_found("plan_id", _("no plan %(plan)s") % {"plan": plan_id})
    return PlanVersion.objects.filter(plan_id=plan_id).select_related("loaded_by").order_by("-number")


@router.post("/{plan_id}/versions/{number}/activate", response=VersionOut,
             summary="Make a stored version the active one (commanders and administrators)", auth=can_edit_plans.api)
def activate_version(request, plan_id: str, number: int):
    try:
        version = PlanVersion.objects.get(plan_id=plan_id, number=number)
    except PlanVersion.DoesNotExist as exc:
        raise Refused.not_found("number", _("plan %(plan)s has no version %(number)s")
                                % {"plan": plan_id, "number": number}) from exc
    return services.activate(version, user=request.user)

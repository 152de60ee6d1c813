"""/api/v1/plans: the plans, their versions, loading a plan file and choosing the active version."""
from datetime import datetime

from ninja import Router, Schema, Status
from ninja.errors import HttpError

from lifeline.accounts.roles import Role, has_role
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


class ProblemOut(Schema):
    file: str
    line: int
    field: str
    reason: str


class ProblemsOut(Schema):
    detail: str
    problems: list[ProblemOut]

    model_config = {"json_schema_extra": {"examples": [{
        "detail": "the plan has 1 problem(s); nothing was stored",
        "problems": [{"file": "<upload>", "line": 31, "field": "scenarios[0].steps[0].owner",
                      "reason": "step 'assess' has no owner"}],
    }]}}


class Detail(Schema):
    detail: str


def _require_plan_editor(request):
    if not has_role(request.user, Role.COMMANDER, Role.ADMIN):
        raise HttpError(403, "Only commanders and administrators load or activate plans")


@router.get("/", response=list[PlanOut], summary="Plans and their active version number")
def list_plans(request):
    active = dict(PlanVersion.objects.filter(is_active=True).values_list("plan_id", "number"))
    return [PlanOut(id=p.id, name=p.name, organisation=p.organisation, language=p.language,
                    active_version=active.get(p.id)) for p in Plan.objects.all()]


# Before /{plan_id}, which would otherwise take "load" for a plan id.
@router.post(
    "/load", response={201: VersionOut, 403: Detail, 422: ProblemsOut},
    summary="Load a plan file (YAML in the request body) as a new version",
    description="The plan is checked first; with any problem nothing is stored and every problem is returned "
    "with its line. Loading a text that is already stored returns that version. "
    "Only commanders and administrators may load plans.",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/yaml": {"schema": {"type": "string"}, "example": EXAMPLE_YAML}}}},
)
def load_plan(request, activate: bool = True):
    _require_plan_editor(request)
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "the body must be UTF-8 YAML text")
    try:
        version = services.load_text(text, user=request.user, activate=activate)
    except services.PlanInvalid as exc:
        return Status(422, {"detail": f"the plan has {len(exc.problems)} problem(s); nothing was stored",
                            "problems": [p.as_dict() for p in exc.problems]})
    return Status(201, version)


@router.get("/{plan_id}", response={200: dict, 404: Detail}, summary="The active version of a plan, as JSON")
def get_plan(request, plan_id: str):
    try:
        return services.active_version(plan_id).data
    except PlanVersion.DoesNotExist:
        return Status(404, {"detail": f"no plan {plan_id!r}"})


@router.get("/{plan_id}/versions", response={200: list[VersionOut], 404: Detail},
            summary="Every stored version of a plan, newest first")
def list_versions(request, plan_id: str):
    if not Plan.objects.filter(pk=plan_id).exists():
        return Status(404, {"detail": f"no plan {plan_id!r}"})
    return PlanVersion.objects.filter(plan_id=plan_id).select_related("loaded_by").order_by("-number")


@router.post("/{plan_id}/versions/{number}/activate", response={200: VersionOut, 403: Detail, 404: Detail},
             summary="Make a stored version the active one (commanders and administrators)")
def activate_version(request, plan_id: str, number: int):
    _require_plan_editor(request)
    try:
        version = PlanVersion.objects.get(plan_id=plan_id, number=number)
    except PlanVersion.DoesNotExist:
        return Status(404, {"detail": f"plan {plan_id!r} has no version {number}"})
    return services.activate(version, user=request.user)

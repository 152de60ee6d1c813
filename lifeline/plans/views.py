"""Plan pages: the list of active plans, a plan, a scenario, the duty cards, the printable binder.
Every signed-in role reads the plans (department staff follow their duty cards in them)."""
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_edit_plans, signed_in
from lifeline.core import clock
from lifeline.core import departments as organisation
from lifeline.plans import coverage, preparedness, printing, services
from lifeline.plans import departments as plan_departments
from lifeline.plans.forms import DepartmentMapForm
from lifeline.plans.models import PlanVersion

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _active(plan_id: str) -> PlanVersion:
    try:
        return services.active_version(plan_id)
    except PlanVersion.DoesNotExist:
        raise Http404(_("No active plan %(plan_id)s.") % {"plan_id": plan_id}) from None


@signed_in.page
def plan_list(request):
    today = timezone.localdate(clock.now())
    return render(request, "plans/list.html", {"versions": services.active_plans(), "today": today})


@signed_in.page
def plan_detail(request, plan_id):
    return _detail_page(request, _active(plan_id))


def _detail_page(request, version: PlanVersion, department_form: DepartmentMapForm | None = None):
    """The plan; a refused department mapping keeps what was typed, its errors by their fields."""
    departments = plan_departments.table(version.plan_id, version.content)
    may_edit = can_edit_plans(request.user)
    if may_edit:
        department_form = department_form or DepartmentMapForm(departments)
        for n, row in enumerate(departments):
            row["field"] = department_form[DepartmentMapForm.name_of(n)]
    p = printing.prepare(version.content)
    backed = preparedness.backings(version.plan_id, version.content.preparedness)
    for row in p.preparedness:
        row["backing"] = backed[row["measure"].id]
    return render(request, "plans/detail.html", {
        "version": version, "plan": version.content, "p": p,
        "history": version.plan.versions.select_related("loaded_by", "activated_by").order_by("-number"),
        "departments": departments,
        "unmatched_departments": [row["plan_department"] for row in departments if not row["matched"]],
        "known_departments": sorted(organisation.known()),
        "uncovered_roles": coverage.uncovered(version.content),
        "may_edit": may_edit,
    })


@require_POST
@can_edit_plans.page
def departments(request, plan_id):
    """Map the plan's card departments to the hospital's own (one field per card department)."""
    version = _active(plan_id)
    form = DepartmentMapForm(plan_departments.table(plan_id, version.content), request.POST)
    if not form.is_valid():
        return _detail_page(request, version, form)
    for plan_department, hospital_departments in form.mappings(request.POST):
        plan_departments.set_mapping(plan_id, plan_department, hospital_departments)
    unmatched = plan_departments.unmatched(plan_id, version.content)
    if unmatched:
        messages.warning(request, _("Departments saved; these still reach nobody: %(departments)s")
                         % {"departments": "、".join(unmatched)})
    else:
        messages.success(request, _("Departments saved: every duty card reaches a department."))
    return redirect(reverse("plans:detail", args=[plan_id]) + "#departments")


@signed_in.page
def scenario_detail(request, plan_id, scenario_id):
    version = _active(plan_id)
    p = printing.prepare(version.content)
    scenario = next((s for s in p.scenarios if s["scenario"].id == scenario_id), None)
    if scenario is None:
        raise Http404(_("Plan %(plan_id)s has no scenario %(scenario_id)s.")
                      % {"plan_id": plan_id, "scenario_id": scenario_id})
    return render(request, "plans/scenario.html", {"version": version, "plan": version.content, "s": scenario})


@signed_in.page
def duty_cards(request, plan_id):
    version = _active(plan_id)
    return render(request, "plans/duty_cards.html",
                  {"version": version, "plan": version.content, "p": printing.prepare(version.content)})


@signed_in.page
def binder(request, plan_id, fmt):
    version = _active(plan_id)
    response = HttpResponse(printing.render_binder(version.content, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{version.plan_id}-v{version.number}-binder.{fmt}")
    return response

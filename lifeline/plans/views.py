"""Plan pages: the list of active plans, a plan, a scenario, the duty cards, the printable binder.
Every signed-in role reads the plans (department staff follow their duty cards in them)."""
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from lifeline.accounts.permissions import signed_in
from lifeline.core import clock
from lifeline.plans import printing, services
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
    version = _active(plan_id)
    return render(request, "plans/detail.html", {
        "version": version, "plan": version.content, "p": printing.prepare(version.content),
        "history": version.plan.versions.select_related("loaded_by", "activated_by").order_by("-number"),
    })


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

"""A plan's preparedness measures offered as inspection items and spare-part stock lines.

Loading a plan does not create checks by itself: each measure of kind inspection, power or
security is offered as a checklist item (frequency guessed from its schedule words), each of kind
spare_parts as a stock line, and a person confirms it, filling in what the plan leaves open
(the due time, a probe for an automatic item, bounds, the stock). A confirmed item keeps the
plan and measure it came from, so the plan page shows the measure backed (backing.py).
"""
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.core.errors import Problem, Refused
from lifeline.inspections import checklists
from lifeline.inspections.models import CheckItem, Checklist, Frequency, SparePart
from lifeline.plans import printing, schema
from lifeline.plans import services as plans
from lifeline.plans.models import PlanVersion

CHECK_KINDS = ("inspection", "power", "security")
# Schedule words, longest period first: "每月1日" is monthly, "每天" daily.
FREQUENCY_WORDS = ((Frequency.QUARTERLY, ("季", "quarter")), (Frequency.MONTHLY, ("月", "month")),
                   (Frequency.WEEKLY, ("周", "星期", "week")), (Frequency.DAILY, ("天", "日", "day")))


def guess_frequency(schedule: str) -> str:
    """The frequency a plan's schedule words say, or "" when they say none (a person chooses)."""
    words = schedule.lower()
    return next((freq.value for freq, marks in FREQUENCY_WORDS if any(m in words for m in marks)), "")


@dataclass
class Offer:
    plan_id: str
    plan_name: str
    measure: schema.Measure
    frequency: str  # guessed; "" when the plan does not say
    kind: str  # the measure's kind in the plan's words (巡检, 备品备件)


def offers() -> tuple[list[Offer], list[Offer]]:
    """Measures of the active plans not yet confirmed: (checklist items, spare-part lines)."""
    taken = set(CheckItem.objects.exclude(measure_id="").values_list("plan_id", "measure_id"))
    taken |= set(SparePart.objects.exclude(measure_id="").values_list("plan_id", "measure_id"))
    checks, spares = [], []
    for version in plans.active_plans():
        plan = version.content
        kinds = printing.labels(plan)["measure_kinds"]
        for measure in plan.preparedness:
            if (plan.id, measure.id) in taken:
                continue
            offer = Offer(plan.id, plan.name, measure, guess_frequency(measure.schedule), kinds[measure.kind])
            if measure.kind in CHECK_KINDS:
                checks.append(offer)
            elif measure.kind == "spare_parts":
                spares.append(offer)
    return checks, spares


def measure_titles() -> dict[tuple[str, str], str]:
    """Every active plan's measures by (plan id, measure id), as "plan name · measure title"."""
    return {(v.plan_id, m.id): f"{v.content.name} · {m.title}" for v in plans.active_plans()
            for m in v.content.preparedness}


def measure_of(plan_id: str, measure_id: str, kinds) -> schema.Measure:
    try:
        plan = plans.active_version(plan_id).content
    except PlanVersion.DoesNotExist:
        raise Refused.not_found("plan", _("no active plan %(plan)s") % {"plan": plan_id}) from None
    measure = next((m for m in plan.preparedness if m.id == measure_id and m.kind in kinds), None)
    if measure is None:
        raise Refused.not_found("measure", _("plan %(plan)s has no such measure") % {"plan": plan_id})
    return measure


def adopt_check(plan_id: str, measure_id: str, *, checklist: str, frequency: str, title: str, reads: str = "",
                unit: str = "", low=None, high=None) -> CheckItem:
    """Confirm a measure as an item of the checklist named `checklist` (made with `frequency` if
    it does not exist yet); refused, naming each field at fault, with nothing made."""
    measure_of(plan_id, measure_id, CHECK_KINDS)
    existing = Checklist.objects.filter(name=(checklist or "").strip()).first()
    problems = checklists.item_problems(title=title, reads=reads, unit=unit, low=low, high=high)
    if not (checklist or "").strip():
        problems.insert(0, Problem("checklist", _("name the checklist")))
    elif existing is None and frequency not in Frequency.values:
        problems.insert(0, Problem("frequency", _("choose how often")))
    if problems:
        raise Refused.of(problems)
    with transaction.atomic():
        existing = existing or checklists.create_checklist(name=checklist, frequency=frequency)
        return checklists.add_item(existing, title=title, reads=reads, unit=unit, low=low, high=high,
                                   plan_id=plan_id, measure_id=measure_id)

"""What inspections tell the plan page: a measure of kind inspection, power or security is
backed by an active checklist item confirmed from it, a spare_parts measure by a stock line."""
from django.urls import reverse
from django.utils.translation import gettext as _

from lifeline.inspections.from_plan import CHECK_KINDS
from lifeline.inspections.models import CheckItem, SparePart
from lifeline.plans import preparedness


def checklist_item(plan_id, measure):
    item = (CheckItem.objects.select_related("checklist")
            .filter(plan_id=plan_id, measure_id=measure.id, checklist__active=True).first())
    if item is None:
        return None
    return preparedness.Backing(
        _("%(frequency)s inspection “%(checklist)s”: %(item)s") % {
            "frequency": item.checklist.get_frequency_display(), "checklist": item.checklist, "item": item.title},
        reverse("inspections:checklist", args=[item.checklist_id]))


def stock_line(plan_id, measure):
    part = SparePart.objects.filter(plan_id=plan_id, measure_id=measure.id).first()
    if part is None:
        return None
    return preparedness.Backing(
        _("spare parts “%(part)s”: %(stock)d in stock, minimum %(minimum)d")
        % {"part": part, "stock": part.quantity, "minimum": part.minimum},
        reverse("inspections:part", args=[part.pk]))


def connect():
    for kind in CHECK_KINDS:
        preparedness.register(kind, checklist_item)
    preparedness.register("spare_parts", stock_line)

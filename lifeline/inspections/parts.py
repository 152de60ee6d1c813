"""Spare parts (备品备件): taking parts out against an incident, restocking, and the low-stock alarm.

Invariants: stock never goes below zero (the part row is locked while it changes); every
withdrawal names an incident, a reason and who took it; a part below its minimum has its alarm
firing (raised on every change and every worker run, resolved once it is restocked).
"""
from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.core import alarms
from lifeline.core.errors import Problem, Refused
from lifeline.incidents.models import Incident
from lifeline.inspections.models import SparePart, Withdrawal

ALARM_SOURCE = "inspections:spare-parts"


def withdraw(part: SparePart, *, quantity, incident_id, reason: str, user) -> Withdrawal:
    """Take `quantity` of `part` out of stock for an incident; refused (nothing changed) naming
    quantity, incident or reason."""
    reason = (reason or "").strip()
    with transaction.atomic():
        part = SparePart.objects.select_for_update().get(pk=part.pk)
        incident = Incident.objects.filter(pk=incident_id).first() if str(incident_id or "").isdigit() else None
        problems = []
        if not isinstance(quantity, int) or quantity < 1:
            problems.append(Problem("quantity", _("must be a whole number of at least 1")))
        elif quantity > part.quantity:
            problems.append(Problem("quantity", _("only %(stock)d in stock") % {"stock": part.quantity}))
        if incident is None:
            problems.append(Problem("incident", _("no incident #%(id)s") % {"id": incident_id or "—"}))
        if not reason:
            problems.append(Problem("reason", _("say what the part is for")))
        if problems:
            raise Refused.of(problems)
        taken = Withdrawal.objects.create(part=part, quantity=quantity, incident=incident, reason=reason[:300],
                                          taken_by=user)
        part.quantity -= quantity
        part.save(update_fields=["quantity"])
    check_stock(part)
    return taken


def restock(part: SparePart, *, quantity) -> SparePart:
    if not isinstance(quantity, int) or quantity < 1:
        raise Refused("quantity", _("must be a whole number of at least 1"))
    with transaction.atomic():
        part = SparePart.objects.select_for_update().get(pk=part.pk)
        part.quantity += quantity
        part.save(update_fields=["quantity"])
    check_stock(part)
    return part


def check_stock(part: SparePart):
    """Fire the part's alarm while it is below its minimum; report it fine otherwise."""
    facts = {"part": part.name, "stock": part.quantity, "minimum": part.minimum, "location": part.location}
    summary = (_("Spare part below minimum: %(part)s, %(stock)d in stock (minimum %(minimum)d), %(location)s")
               if part.below_minimum else _("Spare part restocked: %(part)s, %(stock)d in stock")) % facts
    alarms.raise_alarm(source=ALARM_SOURCE, fingerprint=f"part-{part.pk}", firing=part.below_minimum,
                       summary=summary, labels={"part": part.name, "location": part.location})


def check_all_stock():
    for part in SparePart.objects.all():
        check_stock(part)

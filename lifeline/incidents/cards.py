"""Departments' duty cards (岗位职责卡): switched on for an incident (by its scenario, see
checklist.start_scenario, or by a timer, see firing.py) and acknowledged by the department or
the command centre.

A card is switched on once per incident (activating it again changes nothing) and
acknowledged once, under the card's row lock. Imports only leaves (models, timeline, wording).
"""
from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.accounts.permissions import can_report, can_run_incidents
from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.incidents.models import DutyCardActivation, Incident, TimelineEntry
from lifeline.incidents.timeline import record
from lifeline.incidents.wording import in_plan_language
from lifeline.people.models import Member


def activate_cards(incident: Incident, card_ids, actor=None) -> list[DutyCardActivation]:
    """Switch on departments' duty cards (once per incident; activating again changes nothing)."""
    by_id = {c.id: c for c in incident.plan.duty_cards}
    activated = []
    for card_id in card_ids:
        card = by_id.get(card_id)
        if card is None:
            raise Refused("cards", _("unknown duty card %(id)s") % {"id": card_id})
        row, created = DutyCardActivation.objects.get_or_create(
            incident=incident, card_id=card_id, defaults={"department": card.department, "activated_at": clock.now()})
        if created:
            record(incident, TimelineEntry.Kind.DUTY_CARD,
                   _("Duty card of %(department)s activated") % {"department": card.department}, actor,
                   card=card_id)
            activated.append(row)
    return activated


def may_acknowledge_card(user, activation: DutyCardActivation) -> bool:
    """The command centre, or staff of the card's own department (their member record says which)."""
    if can_run_incidents(user):
        return True
    member = Member.objects.filter(user=user).first() if user.is_authenticated else None
    return bool(can_report(user) and member and member.department == activation.department)


@transaction.atomic
def acknowledge_card(incident: Incident, card_id: str, user) -> DutyCardActivation:
    activation = incident.duty_cards.select_for_update().filter(card_id=card_id).first()
    if activation is None:
        raise Refused("card", _("duty card %(id)s is not active for this incident") % {"id": card_id})
    if not may_acknowledge_card(user, activation):
        raise Refused("user", _("only %(department)s or the command centre acknowledge this card")
                      % {"department": activation.department})
    if activation.acknowledged_at:
        raise Refused("card", _("already acknowledged"))
    activation.acknowledged_at, activation.acknowledged_by = clock.now(), user
    activation.save(update_fields=["acknowledged_at", "acknowledged_by"])
    with in_plan_language(incident):
        record(incident, TimelineEntry.Kind.DUTY_CARD,
               _("%(department)s acknowledged its duty card") % {"department": activation.department}, user,
               card=card_id)
    return activation


def unacknowledged_cards(incident: Incident | None = None):
    """Duty cards still waiting for their department, of one incident or of all open ones."""
    found = DutyCardActivation.objects.filter(acknowledged_at__isnull=True).select_related("incident")
    if incident is not None:
        return found.filter(incident=incident)
    return found.exclude(incident__status__in=Incident.Status.finished())

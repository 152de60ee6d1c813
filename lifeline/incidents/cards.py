"""Departments' duty cards (岗位职责卡): switched on for an incident (by its scenario, see
checklist.start_scenario, or by a timer, see firing.py) and acknowledged by the department or
the command centre.

A card is switched on once per incident (activating it again changes nothing) and
acknowledged once, under the card's row lock. Imports only leaves (models, timeline, wording).

A card names a department in the plan's words (挂号处); it reaches the hospital's departments
that department is mapped to on the plan page (plans.departments: 挂号处 -> 门诊部), and everyone
whose member record is in one of them sees it, acknowledges it, and is recorded when they first
open it (a `seen` entry on the timeline).
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
from lifeline.plans import departments as plan_departments


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


def reached_departments(activation: DutyCardActivation, mapped: dict | None = None) -> list[str]:
    """The hospital's departments the card reaches (its plan's department mapping)."""
    return plan_departments.reached(activation.incident.plan_version.plan_id, activation.department, mapped)


def reaches(activation: DutyCardActivation, member: Member | None, mapped: dict | None = None) -> bool:
    """Whether the card is for this member's department."""
    return bool(member and member.department and member.department in reached_departments(activation, mapped))


def may_acknowledge_card(user, activation: DutyCardActivation) -> bool:
    """The command centre, or staff of a department the card reaches (their member record says which)."""
    if can_run_incidents(user):
        return True
    member = Member.objects.filter(user=user).first() if user.is_authenticated else None
    return bool(can_report(user) and reaches(activation, member))


def record_seen(activation: DutyCardActivation, user) -> bool:
    """Note on the timeline that `user` opened the card (once per person and card); True if new."""
    incident = activation.incident
    if incident.timeline.filter(kind=TimelineEntry.Kind.DUTY_CARD, actor=user, data__card=activation.card_id,
                                data__seen=True).exists():
        return False
    with in_plan_language(incident):
        record(incident, TimelineEntry.Kind.DUTY_CARD,
               _("%(name)s opened the duty card of %(department)s")
               % {"name": user.get_full_name() or user.get_username(), "department": activation.department},
               user, card=activation.card_id, seen=True)
    return True


def seen_by(incident: Incident) -> dict[str, list[TimelineEntry]]:
    """card id -> the entries of who opened it, first first."""
    seen: dict[str, list[TimelineEntry]] = {}
    for entry in incident.timeline.filter(kind=TimelineEntry.Kind.DUTY_CARD, data__seen=True).select_related(
            "actor").order_by("at", "pk"):
        seen.setdefault(entry.data.get("card"), []).append(entry)
    return seen


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

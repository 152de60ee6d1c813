"""Signed acknowledgement links: a member opens the link in a page and acknowledges without
logging in.

The link carries (incident, member, issued at), signed with the site's secret
(django.core.signing, its own salt). Its age is counted on Lifeline's clock rather than
with signing's own max_age (which reads the system time), so a test can let it expire.
"""
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.core.actor import acting_as
from lifeline.incidents import lifecycle, timeline, wording
from lifeline.incidents.models import Incident, TimelineEntry
from lifeline.people.models import Member

SALT = "lifeline.notify.ack"


class LinkRefused(Exception):
    """The link cannot be used; the message says why, for the person who opened it."""


@dataclass
class Acknowledgement:
    incident: Incident
    member: Member
    moved: bool  # the incident went from reported to acknowledged by this link
    already: bool  # this member had acknowledged by a link before; nothing was recorded


def max_age() -> timedelta:
    return timedelta(hours=settings.LIFELINE_ACK_LINK_HOURS)


def token(incident: Incident, member: Member) -> str:
    return signing.dumps([incident.pk, member.pk, int(clock.now().timestamp())], salt=SALT)


def url(incident: Incident, member: Member) -> str:
    return settings.LIFELINE_BASE_URL + reverse("notify:ack", args=[token(incident, member)])


def read(value: str) -> tuple[Incident, Member]:
    """The incident and member a link names; refuses a changed, cut or expired link."""
    try:
        incident_id, member_id, issued = signing.loads(value, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise LinkRefused(_("This link is not valid: it was changed or is incomplete. "
                            "Open the link from the notification exactly as it was sent.")) from exc
    if clock.now().timestamp() - issued > max_age().total_seconds():
        raise LinkRefused(_("This link has expired (links work for %(hours)s hours). "
                            "Acknowledge on the incident page or call the IT duty phone.")
                          % {"hours": f"{settings.LIFELINE_ACK_LINK_HOURS:g}"})
    incident = Incident.objects.select_related("plan_version").filter(pk=incident_id).first()
    member = Member.objects.filter(pk=member_id).first()
    if incident is None or member is None:
        raise LinkRefused(_("The incident or the person this link was sent to no longer exists."))
    return incident, member


def _by_link(incident: Incident, member: Member):
    return incident.timeline.filter(kind=TimelineEntry.Kind.PAGE, data__ack_link=True, data__member=member.pk)


def already_acknowledged(incident: Incident, member: Member) -> bool:
    return _by_link(incident, member).exists()


@transaction.atomic
def acknowledge(incident: Incident, member: Member) -> Acknowledgement:
    """The member acknowledges: a reported incident becomes acknowledged (the escalation stops);
    later on, the timeline records that the member has it. Once per member."""
    incident = Incident.objects.select_for_update().select_related("plan_version").get(pk=incident.pk)
    if incident.status == Incident.Status.CLOSED:
        raise LinkRefused(_("This incident is closed; there is nothing left to acknowledge."))
    if already_acknowledged(incident, member):
        return Acknowledgement(incident, member, moved=False, already=True)
    actor = member.user or member.name
    moved = incident.status == Incident.Status.REPORTED
    with acting_as(actor):
        if moved:
            incident = lifecycle.transition(incident, Incident.Status.ACKNOWLEDGED, actor)
        with wording.in_plan_language(incident):
            timeline.record(incident, TimelineEntry.Kind.PAGE,
                            _("%(member)s acknowledged through the notification link") % {"member": member.name},
                            actor, ack_link=True, member=member.pk)
    return Acknowledgement(incident, member, moved=moved, already=False)

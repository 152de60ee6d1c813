"""What the liaison does with the status page: set a component's state by hand, publish and
withdraw notices, plan maintenance. Plain functions, no HTTP; bad input raises ValidationError
naming the field, and nothing changes.

Who may (lifeline.accounts.permissions): can_speak_status does everything; whoever holds the
liaison role of an open incident may override states and publish notices; can_read reads.
"""
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.accounts.permissions import can_speak_status
from lifeline.core import clock
from lifeline.incidents import timeline
from lifeline.incidents.models import Assignment, Incident, TimelineEntry
from lifeline.plans import schema
from lifeline.status import services
from lifeline.status.models import Component, MaintenanceWindow, Notice, Override

# An override is a stop-gap: past a week the rules should be fixed instead.
MAX_OVERRIDE_MINUTES = 7 * 24 * 60
MAX_NOTICE_HOURS = 30 * 24
MAX_MAINTENANCE_DAYS = 366


def liaison_incidents(user):
    """Open incidents (drills too) whose liaison role the user holds now."""
    if not user.is_authenticated:
        return Incident.objects.none()
    return Incident.objects.open().filter(assignments__role=Assignment.Kind.LIAISON,
                                          assignments__ends_at__isnull=True, assignments__member__user=user)


def may_speak(user) -> bool:
    """Override states and publish notices: those can_speak_status names (who also manage the
    components and maintenance windows), and the liaison of an open incident."""
    return can_speak_status(user) or liaison_incidents(user).exists()


# --- overrides -----------------------------------------------------------------------------

@transaction.atomic
def set_override(*, component: Component, state: str, minutes: int, reason: str, user) -> Override:
    """The component shows `state` for `minutes`; an earlier override of it is withdrawn."""
    if state not in Component.State.values:
        raise ValidationError({"state": _("unknown state %(state)s") % {"state": state}})
    if not 1 <= minutes <= MAX_OVERRIDE_MINUTES:
        raise ValidationError({"minutes": _("give between 1 and %(max)s minutes") % {"max": MAX_OVERRIDE_MINUTES}})
    if not reason.strip():
        raise ValidationError({"reason": _("say why the state is set by hand")})
    for old in Override.objects.current().filter(component=component):
        withdraw(old)
    now = clock.now()
    return Override.objects.create(component=component, state=state, reason=reason.strip(), starts_at=now,
                                   ends_at=now + timedelta(minutes=minutes), set_by=user)


def withdraw(item: Override | Notice, user=None):
    """End an override or a notice now; a notice's incident says so on its timeline."""
    if item.withdrawn_at:
        return
    item.withdrawn_at = clock.now()
    item.save(update_fields=["withdrawn_at"])
    if isinstance(item, Notice) and item.incident:
        timeline.record(item.incident, TimelineEntry.Kind.NOTICE,
                        _("Notice withdrawn from the status page: %(title)s") % {"title": item.title}, user)


# --- notices ---------------------------------------------------------------------------------

@dataclass
class Template:
    """A patient notice of the plan an open incident follows."""

    incident: Incident
    notice: schema.Notice

    @property
    def value(self) -> str:
        return f"{self.incident.pk}:{self.notice.id}"

    @property
    def label(self) -> str:
        return f"{self.incident} · {self.notice.title}"


def templates(user) -> list[Template]:
    """Patient notices of the open incidents' plans; a liaison sees those of their own incidents."""
    found = services.open_incidents(drills=True) if can_speak_status(user) else list(liaison_incidents(user))
    return [Template(incident, notice) for incident in found
            for notice in incident.plan.notices if notice.audience == "patient"]


def affected_components(incident: Incident) -> list[Component]:
    return [c for c in Component.objects.all() if c.names & services.named_components(incident)]


@transaction.atomic
def publish(*, title: str, body: str = "", components=(), incident: Incident | None = None, template: str = "",
            hours: float | None = None, user) -> Notice:
    """Put a notice on the status page, the feed and the banner, until `hours` pass or it is withdrawn."""
    title, body = title.strip(), body.strip()
    if not title:
        raise ValidationError({"title": _("give the notice a title")})
    if hours is not None and hours <= 0:
        raise ValidationError({"hours": _("give a positive number of hours, or leave it empty")})
    if hours is not None and not hours <= MAX_NOTICE_HOURS:  # also NaN and infinity
        raise ValidationError({"hours": _("at most %(max)s hours (30 days), or leave it empty")
                               % {"max": MAX_NOTICE_HOURS}})
    if incident is not None and not can_speak_status(user) and incident not in liaison_incidents(user):
        raise ValidationError({"incident": _("you are not the liaison of this incident")})
    now = clock.now()
    notice = Notice.objects.create(title=title, body=body, incident=incident, template=template,
                                   published_at=now, ends_at=now + timedelta(hours=hours) if hours else None,
                                   published_by=user)
    notice.components.set(components)
    if incident:
        timeline.record(incident, TimelineEntry.Kind.NOTICE,
                        _("Notice published on the status page: %(title)s") % {"title": title}, user,
                        notice=notice.pk)
    return notice


def publish_template(value: str, *, title="", body="", components=(), hours=None, user) -> Notice:
    """Publish a plan's patient notice for its incident, in its words unless others are given;
    the components default to the incident's."""
    template = next((t for t in templates(user) if t.value == value), None)
    if template is None:
        raise ValidationError({"template": _("no patient notice %(value)s among the open incidents' plans")
                               % {"value": value}})
    return publish(title=title or template.notice.title, body=body or template.notice.body, incident=template.incident,
                   components=components or affected_components(template.incident), template=template.notice.id,
                   hours=hours, user=user)


# --- maintenance -------------------------------------------------------------------------------

@transaction.atomic
def plan_maintenance(*, components, starts_at, ends_at, note="") -> MaintenanceWindow:
    if not components:
        raise ValidationError({"components": _("choose the components under maintenance")})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("the window must end after it starts")})
    if ends_at <= clock.now():
        raise ValidationError({"ends_at": _("the window is already over")})
    if ends_at > clock.now() + timedelta(days=MAX_MAINTENANCE_DAYS):
        raise ValidationError({"ends_at": _("a maintenance window ends within a year")})
    window = MaintenanceWindow.objects.create(starts_at=starts_at, ends_at=ends_at, note=note.strip())
    window.components.set(components)
    return window


def end_maintenance(window: MaintenanceWindow):
    """Work done early: the window ends now; one not yet started is cancelled."""
    now = clock.now()
    if window.starts_at >= now:
        window.delete()
    elif window.ends_at > now:
        window.ends_at = now
        window.save(update_fields=["ends_at"])

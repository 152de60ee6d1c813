"""/api/v1/people: the contact book, teams, who is on duty, check-ins and who can come fastest."""
from datetime import datetime, timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lifeline.accounts.permissions import can_read, signed_in
from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.people import services
from lifeline.people.models import CheckIn, Member, TeamMembership

router = Router(tags=["people"])


MAX_ETA_MINUTES = 24 * 60  # the check-in form's own limit
# ?at= on on-duty: the roster's reach, not the calendar's end (9999-12-31 overflows a day later).
AT_REACH = timedelta(days=10 * 366)


def _sees_contacts(context) -> bool:
    """Phone numbers and contact channels are for IT and command (can_read), not department staff."""
    request = (context or {}).get("request")
    return request is not None and can_read(request.user)


class MemberBrief(Schema):
    id: int
    name: str
    phone: str | None = Field(None, description="Only for IT and command; null for department staff")
    department: str
    title: str

    @staticmethod
    def resolve_phone(member, context):
        return member.phone if _sees_contacts(context) else None


class Seat(Schema):
    team: str
    kind: TeamMembership.Kind
    lead: bool

    @staticmethod
    def resolve_team(membership):
        return membership.team.code


class MemberOut(MemberBrief):
    active: bool
    skills: list[str]
    channels: list[str]
    teams: list[Seat]

    @staticmethod
    def resolve_skills(member):
        return member.skill_names()

    @staticmethod
    def resolve_channels(member, context):
        # Kinds only: the Apprise URLs carry webhook keys and stay in the admin and the export.
        # Department staff see none (contacts are for IT and command).
        return [channel.kind for channel in member.channels.all()] if _sees_contacts(context) else []

    @staticmethod
    def resolve_teams(member):
        return member.memberships.all()


class TeamSeat(Schema):
    member: MemberBrief
    kind: TeamMembership.Kind
    lead: bool


class TeamOut(Schema):
    plan: str  # the plan whose group this is; "" for a team of no plan
    code: str
    name: str
    description: str
    core_target: int
    backup_target: int
    core: int
    backup: int
    members: list[TeamSeat]

    @staticmethod
    def resolve_members(team):
        return [m for m in team.memberships.all() if m.member.active]


class DutyOut(Schema):
    role: str
    label: str
    primary: MemberBrief | None
    backup: MemberBrief | None


class CheckInIn(Schema):
    member_id: int | None = None  # default: the caller's own member
    status: CheckIn.Status
    eta_minutes: int | None = Field(None, ge=0, le=MAX_ETA_MINUTES)
    note: str = ""


class CheckInOut(Schema):
    id: int
    member: MemberBrief
    status: CheckIn.Status
    eta_minutes: int | None
    note: str
    at: datetime


class Reachable(Schema):
    member: MemberBrief
    eta_minutes: int | None


@router.get("/members", response=list[MemberOut], auth=signed_in.api)
def members(request, skill: str = "", team: str = ""):
    found = Member.objects.prefetch_related("skills", "channels", "memberships__team")
    if skill:
        found = found.filter(skills__name=skill)
    if team:
        found = found.filter(memberships__team__code=team)
    return found.distinct()


@router.get("/teams", response=list[TeamOut], auth=signed_in.api)
def teams(request):
    return services.team_strength().prefetch_related("memberships__member")


@router.get("/on-duty", response=list[DutyOut], auth=signed_in.api)
def on_duty(request, role: str = "", at: datetime | None = None):
    """Who holds each role at `at` (default now, within ten years of now); with `role`, just that role."""
    if at is not None:
        now = clock.now()
        if at.tzinfo is None:
            at = timezone.make_aware(at)
        if not now - AT_REACH <= at <= now + AT_REACH:
            raise Refused("at", _("must be within ten years of today"))
    duties = [services.duty_now(role, at)] if role else services.on_duty_all(at)
    return [{"role": d.role, "label": d.label, "primary": d.primary, "backup": d.backup} for d in duties]


@router.post("/check-in", response={201: CheckInOut}, auth=signed_in.api)
def check_in(request, payload: CheckInIn):
    if payload.member_id is None:
        member = Member.objects.filter(user=request.user).first()
        if member is None:
            raise Refused("member_id", _("your login is not linked to a member; name one"))
    else:
        member = get_object_or_404(Member, pk=payload.member_id)
    if not services.may_check_in(request.user, member):
        raise Refused.forbidden(_("Only commanders and IT on duty check in someone else"))
    return Status(201, services.check_in(member, payload.status, payload.eta_minutes, payload.note))


@router.get("/fastest", response=list[Reachable], auth=signed_in.api)
def fastest(request, skill: str = "", team: str = ""):
    """Who can come fastest: on site first, then by minutes to arrive, then those not checked in."""
    return [{"member": member, "eta_minutes": eta}
            for member, eta in services.fastest(skill=skill or None, team=team or None)]

"""Who holds a role now, who can come fastest, which teams are short: plain functions, no HTTP."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db.models import Count, Q

from lifeline.accounts.permissions import can_check_in, can_manage_people
from lifeline.core import clock
from lifeline.people.models import (
    PLAN_ROLES,
    CheckIn,
    DutyKind,
    Member,
    Override,
    RosterRotation,
    Shift,
    Skill,
    Team,
    TeamMembership,
)

# A check-in says where someone was; after half a day it says nothing about where they are.
CHECK_IN_FRESH_FOR = timedelta(hours=12)


# --- rosters -----------------------------------------------------------------------------

def generate_shifts(rotation: RosterRotation, start: datetime, end: datetime) -> list[Shift]:
    """Create the rotation's shifts that overlap [start, end); shifts already there are kept as they are.

    Idempotent: a rotation has one shift per slot, so running it again creates nothing.
    Returns the shifts it created.
    """
    members = rotation.ordered_members()
    if not members:
        return []
    length = timedelta(hours=rotation.shift_hours)
    index = max(0, (start - rotation.starts_at) // length)
    created = []
    while (slot_start := rotation.starts_at + index * length) < end:
        shift, new = Shift.objects.get_or_create(
            rotation=rotation, starts_at=slot_start,
            defaults={"role": rotation.role, "kind": rotation.kind, "ends_at": slot_start + length,
                      "member": members[index % len(members)]},
        )
        if new:
            created.append(shift)
        index += 1
    return created


def _window_holding(model, role, at, kind):
    # Of overlapping windows the one that started last is the most recent decision.
    return (model.objects.filter(role=role, kind=kind, starts_at__lte=at, ends_at__gt=at, member__active=True)
            .select_related("member").order_by("-starts_at", "-pk").first())


def on_duty(role: str, at: datetime | None = None, kind: str = DutyKind.PRIMARY) -> Member | None:
    """The member holding a plan role at a moment: an override beats the shifts."""
    at = at or clock.now()
    for model in (Override, Shift):
        window = _window_holding(model, role, at, kind)
        if window is not None:
            return window.member
    return None


class DutyNow(NamedTuple):
    role: str
    primary: Member | None
    backup: Member | None

    @property
    def label(self):
        return str(PLAN_ROLES.get(self.role, self.role))


def roster_roles(start: datetime, end: datetime) -> list[str]:
    """Role ids with a shift, an override or a rotation touching [start, end), the shared ones first."""
    roles = set()
    for model in (Shift, Override):
        roles |= set(model.objects.filter(starts_at__lt=end, ends_at__gt=start).values_list("role", flat=True))
    roles |= set(RosterRotation.objects.filter(starts_at__lt=end).values_list("role", flat=True))
    known = list(PLAN_ROLES)
    return sorted(roles, key=lambda r: (known.index(r) if r in known else len(known), r))


def duty_now(role: str, at: datetime | None = None) -> DutyNow:
    at = at or clock.now()
    return DutyNow(role, on_duty(role, at), on_duty(role, at, DutyKind.BACKUP))


def on_duty_all(at: datetime | None = None) -> list[DutyNow]:
    """Who is on duty now: (role, primary, backup) for every role on the roster at that moment."""
    at = at or clock.now()
    return [duty_now(role, at) for role in roster_roles(at, at + timedelta(seconds=1))]


# --- check-ins ---------------------------------------------------------------------------

def check_in(member: Member, status: str, eta_minutes: int | None = None, note: str = "") -> CheckIn:
    """Record where a member is now; raises ValidationError naming the field if it makes no sense."""
    if status == CheckIn.Status.ON_SITE:
        eta_minutes = 0
    elif status == CheckIn.Status.UNAVAILABLE:
        eta_minutes = None
    entry = CheckIn(member=member, status=status, eta_minutes=eta_minutes, note=note, at=clock.now())
    entry.full_clean()
    entry.save()
    return entry


def current_check_ins(at: datetime | None = None) -> dict[int, CheckIn]:
    """The latest fresh check-in of each member, by member id."""
    at = at or clock.now()
    fresh = CheckIn.objects.filter(at__lte=at, at__gte=at - CHECK_IN_FRESH_FOR).order_by("at", "pk")
    return {entry.member_id: entry for entry in fresh}


def fastest(skill: Skill | str | None = None, team: Team | str | None = None,
            at: datetime | None = None) -> list[tuple[Member, int | None]]:
    """Active members who can come, fastest first: on site (ETA 0), then off site by ETA,
    then those without a fresh check-in (ETA None). Members who said unavailable are left out."""
    members = Member.objects.filter(active=True).prefetch_related("skills")
    if skill:
        members = members.filter(skills__name=str(skill))
    if team:
        members = members.filter(memberships__team__code=team.code if isinstance(team, Team) else team)
    latest = current_check_ins(at)
    ranked = []
    for member in members.distinct():
        entry = latest.get(member.pk)
        if entry is None:
            ranked.append((member, None))
        elif entry.status != CheckIn.Status.UNAVAILABLE:
            ranked.append((member, entry.eta_minutes))
    ranked.sort(key=lambda pair: (pair[1] is None, pair[1] or 0, pair[0].name))
    return ranked


# --- teams -------------------------------------------------------------------------------

@dataclass
class TeamGap:
    team: Team
    core: int
    backup: int

    @property
    def missing_core(self) -> int:
        return max(0, self.team.core_target - self.core)

    @property
    def missing_backup(self) -> int:
        return max(0, self.team.backup_target - self.backup)


def team_strength():
    """Every team with its count of active core and backup members (as .core and .backup), by plan
    and code. The order is explicit: Django drops Meta.ordering from a GROUP BY query, and the
    organisation page groups consecutive teams by plan (PostgreSQL returned a plan's teams apart)."""
    def active(kind):
        return Count("memberships", filter=Q(memberships__kind=kind, memberships__member__active=True))
    return Team.objects.annotate(core=active(TeamMembership.Kind.CORE), backup=active(TeamMembership.Kind.BACKUP)) \
        .order_by("plan", "code")


def team_gaps() -> list[TeamGap]:
    """Teams short of their core or backup target: the sizes their plan's group names (seed 001: 5
    core and 3 backup per group); a team whose plan names no number has no gap."""
    gaps = [TeamGap(team, team.core, team.backup) for team in team_strength()]
    return [gap for gap in gaps if gap.missing_core or gap.missing_backup]


# --- who may check whom in ------------------------------------------------------------


def may_check_in(user, member: Member) -> bool:
    """Anyone checks themselves in (an auditor only reads); managers check in anyone."""
    if can_manage_people(user):
        return True
    return member.user_id is not None and member.user_id == user.pk and can_check_in(user)

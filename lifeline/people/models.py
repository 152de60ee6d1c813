"""组织: members, their skills and contact channels, teams, duty rosters and check-ins.

Role ids (`commander`, `duty_it`, `dba` …) are the plan role ids shared by all plans, so a
roster fills the same role in every plan that names it.
"""
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

APPRISE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")

# The shared plan role ids, in the order the roster shows them; labels are for people
# who don't read ids. Roles not listed here still work and are shown after these.
PLAN_ROLES = {
    "commander": _("Commander"),
    "deputy_commander": _("Deputy commander"),
    "hospital_leader": _("Hospital leader"),
    "it_director": _("IT director"),
    "duty_it": _("IT on duty"),
    "tech_lead": _("Technical group lead"),
    "dba": _("Database administrator"),
    "network_admin": _("Network administrator"),
    "sysadmin": _("System administrator"),
    "security": _("Security engineer"),
    "clinical_lead": _("Clinical support lead"),
    "comms_lead": _("Patient communication lead"),
    "onsite_lead": _("On-site support lead"),
    "vendor": _("Software vendor engineer"),
    "hardware_vendor": _("Hardware vendor"),
    "carrier": _("Network carrier"),
    "insurance_liaison": _("Medical-insurance liaison"),
    # The other roles the bundled plans page (the demo rosters every one of them).
    "project_lead": _("Project lead"),
    "software_company": _("Software company"),
    "dependency_vendor": _("Vendor of a dependent system"),
    "tech": _("Operations engineer"),
    "fiber_engineer": _("Fibre maintenance engineer"),
    "hq_member": _("Command centre member"),
    "business_owner": _("Business owner"),
    "provincial_bureau": _("Provincial medical insurance bureau"),
    "agency": _("Medical insurance agency"),
    "designated_hospital": _("Designated medical institution"),
    "responsible_departments": _("Responsible departments"),
    "department_head": _("Head of the affected department"),
    "workstation_staff": _("Workstation staff"),
    "insurance_staff": _("Medical insurance settlement staff"),
    "finance_lead": _("Head of finance"),
    "registration_lead": _("Head of registration"),
    "cashier_lead": _("Head of the cashier's office"),
    "medical_records_lead": _("Head of medical records"),
    "medical_affairs": _("Medical affairs office"),
    "nursing_lead": _("Nursing department"),
    "pharmacy_lead": _("Head of pharmacy"),
    "lab_lead": _("Head of the laboratory"),
    "imaging_lead": _("Head of imaging"),
    "function_exam_lead": _("Head of functional examinations"),
    "inpatient_lead": _("Head of inpatient admissions"),
    "registrar": _("Registration clerk"),
    "cashier": _("Outpatient cashier"),
    "triage_nurse": _("Triage nurse"),
    "doctor": _("Outpatient doctor"),
    "pharmacist": _("Outpatient pharmacist"),
    "medtech": _("Medical technician"),
}


def role_label(role: str) -> str:
    return str(PLAN_ROLES.get(role, role))


def validate_apprise_url(value: str):
    """Apprise URLs look like scheme://…; the notify app hands them to Apprise as they are."""
    if not APPRISE_URL.match(value or ""):
        raise ValidationError(
            _("%(value)s is not an Apprise URL: expected scheme://… such as mailto://user@example.org"),
            code="invalid", params={"value": value})


class Skill(models.Model):
    """What a member is good at (数据库恢复, 网络, 沟通 …), to find the right person fast."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self):
        return self.name


class Member(models.Model):
    """A person in the emergency organisation, with or without a login."""

    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)  # 姓名, not a thing's 名称
    # The mobile number is the contact book's key: imports match members by it.
    phone = models.CharField(_("phone"), max_length=30, unique=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="members", verbose_name=_("skills"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="member", verbose_name=_("user account"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["department", "name"]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self):
        return self.name

    def skill_names(self) -> list[str]:
        return [s.name for s in self.skills.all()]


class ContactChannel(models.Model):
    """One way to reach a member, as an Apprise URL; lower order is tried first."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="channels",
                               verbose_name=_("member"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=20, help_text=_("A label such as wecom, sms, email, dingtalk."))
    url = models.CharField(_("Apprise URL"), max_length=500, validators=[validate_apprise_url])

    class Meta:
        ordering = ["member", "order", "pk"]
        verbose_name = _("contact channel")
        verbose_name_plural = _("contact channels")

    def __str__(self):
        return f"{self.member} · {self.kind}"


class Team(models.Model):
    """A group of the emergency organisation (指挥部, 技术组 …); code is the plan group id.

    A plan's groups become its teams when the plan is loaded (plan_teams.sync_plan_groups): the
    team is scoped to the plan (two plans may both have `hq`) and takes the group's name, duties
    and core and backup sizes (seed 001: 5 and 3). A team of no plan (plan "") is the hospital's own.
    """

    plan = models.CharField(_("plan"), max_length=64, blank=True, db_index=True,
                            help_text=_("The id of the plan whose group this is; empty for a team of no plan."))
    plan_name = models.CharField(_("plan name"), max_length=200, blank=True)
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=64, help_text=_("The plan group id, e.g. tech."))
    description = models.TextField(_("description"), blank=True)
    # From the plan's group (members: {core: 5, backup: 3}); 0 where the plan names no number.
    core_target = models.PositiveSmallIntegerField(_("core members wanted"), default=0)
    backup_target = models.PositiveSmallIntegerField(_("backup members wanted"), default=0)
    members = models.ManyToManyField(Member, through="TeamMembership", related_name="teams",
                                     verbose_name=_("members"))

    class Meta:
        ordering = ["plan", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="people_team_code_per_plan")]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        if not self.plan:
            return self.name
        return pgettext("a name with a note", "%(name)s (%(note)s)") % {
            "name": self.name, "note": self.plan_name or self.plan}

    @property
    def key(self) -> str:
        """How spreadsheets name the team: `plan/code`, or the bare code of a team of no plan."""
        return f"{self.plan}/{self.code}" if self.plan else self.code


class TeamMembership(models.Model):
    class Kind(models.TextChoices):
        CORE = "core", _("core")
        BACKUP = "backup", _("backup")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships",
                               verbose_name=_("member"))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CORE)
    lead = models.BooleanField(_("lead"), default=False)

    class Meta:
        ordering = ["team", "-lead", "kind", "member__name"]
        constraints = [models.UniqueConstraint(fields=["member", "team"], name="people_one_membership_per_team")]
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")

    def __str__(self):
        member = pgettext("a name with a note", "%(name)s (%(note)s)") % {
            "name": self.member, "note": self.get_kind_display()}
        return f"{self.team.code}: {member}"


class DutyKind(models.TextChoices):
    PRIMARY = "primary", _("primary")
    BACKUP = "backup", _("backup")


class _Window(models.Model):
    """A member holding a plan role from starts_at until (not including) ends_at."""

    role = models.CharField(_("role id"), max_length=50, db_index=True,
                            help_text=_("The plan role id, e.g. duty_it, dba, commander."))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    kind = models.CharField(_("kind"), max_length=10, choices=DutyKind.choices, default=DutyKind.PRIMARY)

    class Meta:
        abstract = True
        ordering = ["starts_at", "role"]

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})

    @property
    def role_label(self):
        return role_label(self.role)


class RosterRotation(models.Model):
    """Members take a role in turn, one shift each, starting at starts_at."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    role = models.CharField(_("role id"), max_length=50, help_text=_("The plan role id, e.g. duty_it."))
    kind = models.CharField(_("kind"), max_length=10, choices=DutyKind.choices, default=DutyKind.PRIMARY)
    shift_hours = models.PositiveSmallIntegerField(_("shift length (hours)"), default=24,
                                                   validators=[MinValueValidator(1)])
    starts_at = models.DateTimeField(_("first shift starts at"))
    members = models.ManyToManyField(Member, through="RotationSlot", related_name="+", verbose_name=_("members"))

    class Meta:
        ordering = ["role", "kind"]
        verbose_name = _("roster rotation")
        verbose_name_plural = _("roster rotations")

    def __str__(self):
        return self.name

    def ordered_members(self) -> list[Member]:
        return [slot.member for slot in self.slots.select_related("member")]


class RotationSlot(models.Model):
    rotation = models.ForeignKey(RosterRotation, on_delete=models.CASCADE, related_name="slots")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("member in rotation")
        verbose_name_plural = _("members in rotation")

    def __str__(self):
        return f"{self.rotation} · {self.order}: {self.member}"


class Shift(_Window):
    rotation = models.ForeignKey(RosterRotation, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="shifts", verbose_name=_("generated by"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("member"))

    class Meta(_Window.Meta):
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="people_shift_ends_after_start"),
            # A rotation makes one shift per slot: generating again finds it instead.
            models.UniqueConstraint(fields=["rotation", "starts_at"], name="people_one_shift_per_rotation_slot"),
        ]

    def __str__(self):
        return f"{self.role} {self.member} {self.starts_at:%Y-%m-%d %H:%M}"


class Override(_Window):
    """A swap or stand-in that wins over the shifts in its window (换班 / 临时顶岗)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("member"))
    replaces = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("replaces"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta(_Window.Meta):
        verbose_name = _("override")
        verbose_name_plural = _("overrides")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="people_override_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.role} → {self.member} {self.starts_at:%Y-%m-%d %H:%M}"


class CheckIn(models.Model):
    """Where a member is (定位打卡): on site, on the way with an ETA, or unavailable."""

    class Status(models.TextChoices):
        ON_SITE = "on_site", _("on site")
        OFF_SITE = "off_site", _("off site")
        UNAVAILABLE = "unavailable", _("unavailable")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="check_ins", verbose_name=_("member"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    eta_minutes = models.PositiveIntegerField(_("minutes to arrive"), null=True, blank=True)
    note = models.CharField(_("location note"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["-at"]
        get_latest_by = "at"
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")

    def __str__(self):
        return f"{self.member} {self.get_status_display()} {self.at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.status == self.Status.OFF_SITE and self.eta_minutes is None:
            raise ValidationError({"eta_minutes": _("Off site needs the minutes it takes to arrive.")})

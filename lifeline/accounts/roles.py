"""The five roles of Lifeline, as Django groups. What each may do is in permissions.py.

admin       everything (a superuser)
指挥 commander   runs incidents and changes plans, people and rosters
值班 duty        IT on duty: takes reports, runs incidents, keeps rosters and check-ins
部门 department  department staff: report faults, follow their duty card; no admin site
审计 auditor     reads everything, changes nothing
"""
from django.contrib.auth.models import Group
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    ADMIN = "admin", _("Administrator")
    COMMANDER = "指挥", _("Commander")
    DUTY = "值班", _("IT on duty")
    DEPARTMENT = "部门", _("Department staff")
    AUDITOR = "审计", _("Auditor")


# Roles that may enter the admin site (with the permissions lifeline.accounts.permissions gives them).
STAFF_ROLES = {Role.COMMANDER, Role.DUTY, Role.AUDITOR}


def roles_of(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    names = {g.name for g in user.groups.all()}
    if user.is_superuser:
        names.add(Role.ADMIN.value)
    return names


def has_role(user, *roles) -> bool:
    """True if the user holds any of the roles; an admin holds them all."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(roles_of(user) & {str(r) for r in roles})


def assign_role(user, role: Role):
    """Give a user a role; staff roles may enter the admin site (with their permissions only)."""
    user.groups.add(Group.objects.get(name=role.value))
    if role == Role.ADMIN:
        user.is_superuser = True
    user.is_staff = role == Role.ADMIN or role in STAFF_ROLES or user.is_staff
    user.save(update_fields=["is_superuser", "is_staff"])

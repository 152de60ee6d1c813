"""The five roles of Lifeline, as Django groups, and the server-side checks on them.

admin       everything (a superuser)
指挥 commander   runs incidents and changes plans, people and rosters
值班 duty        IT on duty: takes reports, runs incidents, keeps rosters and check-ins
部门 department  department staff: report faults, follow their duty card; no admin site
审计 auditor     reads everything, changes nothing
"""
from functools import wraps

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    ADMIN = "admin", _("Administrator")
    COMMANDER = "指挥", _("Commander")
    DUTY = "值班", _("IT on duty")
    DEPARTMENT = "部门", _("Department staff")
    AUDITOR = "审计", _("Auditor")


# Which roles may use the admin site, and which model permissions they get there.
# Actions per app label; apps that later issues add join these lists.
STAFF_ROLES = {Role.COMMANDER, Role.DUTY, Role.AUDITOR}
PERMISSIONS = {
    Role.COMMANDER: {"plans": "add change delete view", "people": "add change delete view",
                     "incidents": "add change delete view", "continuity": "add change view",
                     "reports": "add change delete view", "audit": "view",
                     "detection": "add change delete view", "notify": "add change view",
                     "status": "add change delete view"},
    Role.DUTY: {"plans": "view", "people": "add change view", "incidents": "add change view",
                "continuity": "add change view", "reports": "add change view", "audit": "view",
                "detection": "add change view", "notify": "add change view", "status": "add change view"},
    Role.AUDITOR: {"plans": "view", "people": "view", "incidents": "view", "continuity": "view",
                   "reports": "view", "audit": "view", "accounts": "view", "detection": "view",
                   "notify": "view", "status": "view"},
    Role.DEPARTMENT: {},
}


def ensure_roles(**kwargs):
    """Create the role groups with their permissions (runs after every migrate)."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        perms = []
        for app_label, actions in PERMISSIONS.get(role, {}).items():
            for action in actions.split():
                perms += Permission.objects.filter(
                    content_type__app_label=app_label, codename__startswith=f"{action}_"
                )
        group.permissions.set(perms)


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


def require_role(*roles):
    """View decorator: 403 unless the logged-in user holds one of the roles."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def assign_role(user, role: Role):
    """Give a user a role; staff roles may enter the admin site (with their permissions only)."""
    user.groups.add(Group.objects.get(name=role.value))
    if role == Role.ADMIN:
        user.is_superuser = True
    user.is_staff = role == Role.ADMIN or role in STAFF_ROLES or user.is_staff
    user.save(update_fields=["is_superuser", "is_staff"])

"""Every permission in Lifeline, as a named policy: who may do one kind of thing.

A policy is checked on the server, the same way everywhere:

    @can_run_incidents.page                         a page (403 for other roles)
    @router.post(..., auth=can_run_incidents.api)   an API route (401 without credentials,
                                                     403 for other roles, before the body is read)
    can_run_incidents(user)                          a plain check (templates, services)
    can_run_incidents.check(user)                    raises Refused (403) in a service

An administrator passes every policy. The admin site's model permissions for each role are
derived from ADMIN_APPS below, so the admin agrees with the pages and the API.
Names say the action in the hospital's words; add a policy here rather than a role tuple
anywhere else (tests/accounts/test_route_matrix.py walks every route against them).

A page that needs no login says so, and why, with `@public("…")`: its `policy` is None.
"""
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer, SessionAuth

from lifeline.accounts.roles import Role, has_role
from lifeline.core.errors import Refused

C, D, P, A = Role.COMMANDER, Role.DUTY, Role.DEPARTMENT, Role.AUDITOR


class Policy:
    def __init__(self, name: str, roles, refusal):
        self.name, self.roles, self.refusal = name, tuple(roles), refusal

    def __repr__(self):
        return f"<Policy {self.name}: {', '.join(r.value for r in self.roles) or 'admin only'}>"

    def __call__(self, user) -> bool:
        return bool(user is not None and has_role(user, *self.roles))

    def check(self, user):
        """Raise the refusal (403) unless the user passes."""
        if not self(user):
            raise Refused.forbidden(str(self.refusal))

    def page(self, view):
        """Decorate a page view: 403 unless the logged-in user passes (anonymous users never get
        here: LoginRequiredMiddleware sends them to the login page)."""

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not self(request.user):
                raise PermissionDenied(str(self.refusal))
            return view(request, *args, **kwargs)

        wrapped.policy = self
        return wrapped

    @property
    def api(self) -> list:
        """ninja `auth=` for a route: a bearer token or the browser session (with CSRF), then
        this policy. Runs before ninja reads the body, so a refused caller learns nothing."""
        return [BearerPolicy(self), SessionPolicy(self)]


def public(reason: str):
    """Decorate a page anyone may open without logging in (the status page, the health check,
    a signed acknowledgement link): no login, `policy = None`, and the reason kept beside it."""

    def decorator(view):
        view = login_not_required(view)
        view.policy, view.public_because = None, reason
        return view

    return decorator


class _PolicyAuth:
    def __init__(self, policy: Policy):
        super().__init__()
        self.policy = policy

    def __call__(self, request):
        user = super().__call__(request)
        if user:
            self.policy.check(user)
        return user


class BearerPolicy(_PolicyAuth, HttpBearer):
    """`Authorization: Bearer <token>` (lifeline token create), then the policy."""

    def authenticate(self, request, token):
        from lifeline.accounts.auth import user_of_token

        return user_of_token(request, token)


class SessionPolicy(_PolicyAuth, SessionAuth):
    """The logged-in browser session (CSRF checked on writes), then the policy."""

    def _get_key(self, request):
        # No session, no CSRF question: an anonymous write is a 401 (log in), not a 403 about CSRF.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


# --- the policies --------------------------------------------------------------------------

signed_in = Policy("signed_in", (C, D, P, A), _("Log in first"))
can_report = Policy("can_report", (P, D, C), _("Only staff who report faults may do this"))
can_read = Policy("can_read", (C, D, A), _("Only the command centre, IT on duty and auditors may read this"))
can_run_incidents = Policy("can_run_incidents", (C, D), _("Only commanders and IT on duty run incidents"))
can_reclassify = Policy("can_reclassify", (C,), _("Only a commander changes an incident's level"))
can_edit_plans = Policy("can_edit_plans", (C,), _("Only commanders and administrators load or activate plans"))
can_manage_people = Policy("can_manage_people", (C, D),
                           _("Only commanders and IT on duty change rosters and check-ins"))
can_check_in = Policy("can_check_in", (C, D, P), _("Auditors read check-ins; they do not check in"))
can_read_audit = Policy("can_read_audit", (A, C),
                        _("Only administrators, auditors and commanders may read the audit log"))
can_manage_detection = Policy("can_manage_detection", (C, D),
                              _("Only commanders and IT on duty change probes, integrations and silences"))
can_notify = Policy("can_notify", (C, D), _("Only commanders and IT on duty send notifications"))
can_speak_status = Policy("can_speak_status", (C, D),
                          _("Only commanders and IT on duty change what the status page says"))
can_manage_stations = Policy("can_manage_stations", (C, D),
                             _("Only commanders and IT on duty manage snapshots and emergency workstations"))
can_read_accounts = Policy("can_read_accounts", (A,), _("Only auditors and administrators read accounts"))
can_edit_analysis = Policy("can_edit_analysis", (C, D), _("Only commanders and IT on duty write fault analyses"))
can_manage_readiness = Policy("can_manage_readiness", (D,),
                              _("Only IT on duty changes backups, restore tests, DR runbooks and inspections"))
can_run_cutover = Policy("can_run_cutover", (C, D),
                         _("Only commanders and IT on duty change a go-live cutover's board"))
# 对账: the cashiers (department staff) re-settle insurance and enter their paper forms back;
# the command centre signs the reconciliation off.
can_read_reconciliation = Policy("can_read_reconciliation", (C, D, P, A),
                                 _("Only staff of the hospital may read the reconciliation"))
can_reconcile = Policy("can_reconcile", (C, D, P),
                       _("Only commanders, IT on duty and department staff work on the reconciliation"))
can_sign_off_reconciliation = Policy("can_sign_off_reconciliation", (C,),
                                     _("Only the command centre signs the reconciliation off"))
can_sign_off_drills = Policy("can_sign_off_drills", (C,),
                             _("Only a commander signs off a drill report: IT on duty ran the drill"))
can_import_journals = Policy("can_import_journals", (C, D),
                             _("Only commanders and IT on duty import a station's journal file"))
can_merge_back = Policy("can_merge_back", (C,),
                        _("Only the command centre merges the emergency data back into the HIS"))

# The admin site: per app label, the policy that may view its records and the one that may
# change them (commanders may also delete where they may change). Department staff have no
# admin site. ensure_roles() turns this into the role groups' model permissions.
ADMIN_APPS = {
    "plans": (can_read, can_edit_plans),
    "people": (can_read, can_manage_people),
    "incidents": (can_read, can_run_incidents),
    "snapshots": (can_read, can_manage_stations),
    "stations": (can_read, can_manage_stations),
    "analysis": (can_read, can_edit_analysis),
    "audit": (can_read_audit, None),
    "detection": (can_read, can_manage_detection),
    "notify": (can_read, can_notify),
    "status": (can_read, can_speak_status),
    "accounts": (can_read_accounts, None),
    "cutover": (can_read, can_run_cutover),
    "inspections": (can_read, can_manage_readiness),
    "backups": (can_read, can_manage_readiness),
}
# Apps whose records commanders may delete through the admin.
DELETABLE = {"plans", "people", "incidents", "analysis", "detection", "status"}


def ensure_roles(**kwargs):
    """Create the role groups with their admin-site permissions (runs after every migrate)."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        perms = []
        for app_label, actions in admin_actions(role).items():
            for action in actions:
                perms += Permission.objects.filter(content_type__app_label=app_label, codename__startswith=f"{action}_")
        group.permissions.set(perms)


def admin_actions(role: Role) -> dict[str, list[str]]:
    """The model-permission actions (view, add, change, delete) a role gets per app label."""
    granted = {}
    for app_label, (reader, writer) in ADMIN_APPS.items():
        actions = []
        if role in reader.roles or (writer and role in writer.roles):
            actions.append("view")
        if writer and role in writer.roles:
            actions += ["add", "change"]
            if role == C and app_label in DELETABLE:
                actions.append("delete")
        if actions:
            granted[app_label] = actions
    return granted

"""Who is at the desk: the operator signed in (an emergency credential, valid only in downtime
or a drill), and the decorators the pages use.

    @desk_page                 # the station open (or the no-package page); lookups in any mode
    @operator_page(policy)     # signed in, mode not ready, the role allowed the action
"""
from functools import wraps
from urllib.parse import quote

from django.contrib.auth.hashers import check_password
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from lifeline.workstation import lockout, modes, policies
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import READY
from lifeline.workstation.operators import CredentialsInvalid
from lifeline.workstation.web.desk import NoPackage, desk

SESSION_KEY = "operator"


def operator(request):
    """The operator signed in at this browser, or None (signed out when the mode went back to
    ready, the credential was withdrawn, or it expired)."""
    code = request.session.get(SESSION_KEY)
    if not code:
        return None
    try:
        credential = desk().credentials().get(code)
    except CredentialsInvalid:
        return None
    station = request.station
    if credential is None or station.journal.in_force.mode == READY or \
            station.journal.clock() > credential.operator.valid_until:
        request.session.pop(SESSION_KEY, None)
        return None
    return credential.operator


def sign_in(request, code: str, password: str):
    """Check an emergency credential; StationRefused naming the field, nothing recorded, if not."""
    station = request.station
    if station.journal.in_force.mode == READY:
        raise StationRefused("", _("emergency credentials work only in downtime or a drill; the station is ready "
                                   "(lookups only)"))
    try:
        credential = desk().credentials().get(code.strip())
    except CredentialsInvalid as bad:
        raise StationRefused("", _("the emergency credentials on this station do not verify: %(reason)s")
                             % {"reason": bad}) from None
    if credential is None or not check_password(password, credential.password):
        raise StationRefused("password", _("staff number or password is wrong"))
    if station.journal.clock() > credential.operator.valid_until:
        raise StationRefused("code", _("the emergency credential of %(code)s expired; a supervisor renews it")
                             % {"code": code})
    with station.journal.transaction() as tx:
        tx.record("sign_in", credential.operator.code, {"role": credential.operator.role})
    request.session.cycle_key()
    request.session[SESSION_KEY] = credential.operator.code
    return credential.operator


def supervisor(station, code: str, pin: str):
    """The supervisor whose emergency PIN this is (for declaring downtime on the station). A
    wrong PIN is recorded, and the fifth within 15 minutes locks the PIN (`lockout`)."""
    lockout.check(station)
    try:
        credential = desk().credentials().get(code.strip())
    except CredentialsInvalid as bad:
        raise StationRefused("", str(bad)) from None
    if credential is None or not credential.supervisor or not check_password(pin, credential.password):
        raise lockout.failed(station, code, _("not a supervisor's staff number and emergency PIN"))
    return credential.operator


def safe_next(request, default="/") -> str:
    """Where to go after a form: `next` when it is a path on this station."""
    target = request.POST.get("next") or request.GET.get("next") or default
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts=None) else default


def desk_page(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            request.station = desk().station()
        except NoPackage as missing:
            return render(request, "workstation/no_package.html", {"reason": str(missing)}, status=503)
        request.operator = operator(request)
        return view(request, *args, **kwargs)
    return wrapped


def operator_page(policy: str | None = None, prices: bool = False):
    """A desk page: signed in with a role the policy allows; `prices`: the price version
    confirmed first (cashier pages)."""
    def decorate(view):
        @desk_page
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.operator is None:
                return redirect(f"/login/?next={quote(request.get_full_path())}")
            if policy and request.operator.role not in policies.MAY[policy]:
                return render(request, "workstation/not_allowed.html", {"policy": policy}, status=403)
            if prices and not modes.prices_confirmed(request.station):
                return redirect(f"/prices/?next={quote(request.get_full_path())}")
            return view(request, *args, **kwargs)
        return wrapped
    return decorate

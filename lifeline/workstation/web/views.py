"""The station's own pages: status, sign-in, mode, price confirmation, help, patient search."""
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.workstation import modes, search, send
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import DRILL, EMERGENCY, READY
from lifeline.workstation.leases import KINDS
from lifeline.workstation.web.access import SESSION_KEY, desk_page, operator_page, safe_next, sign_in, supervisor
from lifeline.workstation.web.desk import desk, now
from lifeline.workstation.web.forms import Form

MODE_NAMES = {READY: "就绪", EMERGENCY: "应急", DRILL: "演练"}


def station_context(request):
    """Every page: the package in force, the data's age, the mode, the operator, low numbers."""
    station = getattr(request, "station", None)
    if station is None:
        return {}
    held = desk().held
    return {"held": held, "age_text": _age(held), "mode": station.journal.in_force.mode,
            "mode_name": MODE_NAMES[station.journal.in_force.mode], "drill": station.journal.in_force.mode == DRILL,
            "operator": getattr(request, "operator", None), "station_code": station.journal.in_force.station,
            "low_supplies": [(KINDS[s.kind], s) for s in station.supplies() if s.low],
            "send_refused": send.held_back(desk().directory)}


def _age(held) -> str:
    """How old the data is, as the desk reads it: minutes, or hours and minutes."""
    if held is None or held.built_at is None:
        return _("unknown")
    minutes = max(0, int((now() - held.built_at).total_seconds() // 60))
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)d min") % {"hours": minutes // 60, "minutes": minutes % 60}


@desk_page
def home(request):
    return render(request, "workstation/home.html", {
        "mode_form": Form(request.POST, ["mode", "code", "pin", "reason"]),
        "prices_confirmed": modes.prices_confirmed(request.station)})


@desk_page
def login(request):
    form = Form(request.POST, ["code", "password"])
    if request.method == "POST":
        try:
            sign_in(request, form.value("code"), request.POST.get("password", ""))
            return HttpResponseRedirect(safe_next(request))
        except StationRefused as refusal:
            form.refuse(refusal)
    return render(request, "workstation/login.html", {"form": form, "next": safe_next(request)})


@require_POST
@desk_page
def logout(request):
    request.session.pop(SESSION_KEY, None)
    return redirect("/")


@require_POST
@desk_page
def declare(request):
    """A supervisor declares downtime or a drill, or back to ready, with their emergency PIN."""
    form = Form(request.POST, ["mode", "code", "pin", "reason"])
    try:
        if form.value("mode") not in modes.MODES:
            raise StationRefused("mode", _("choose downtime, drill or ready"))
        who = supervisor(request.station, form.value("code"), request.POST.get("pin", ""))
        modes.declare(request.station, form.value("mode"), who.code, modes.PIN, form.value("reason"))
        return redirect("/")
    except StationRefused as refusal:
        form.refuse(refusal)
    return render(request, "workstation/home.html", {"mode_form": form, "prices_confirmed":
                                                     modes.prices_confirmed(request.station)}, status=400)


@operator_page()
def prices(request):
    """Seed 003 A: before first use the cashier confirms the price version with IT."""
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        modes.confirm_prices(request.station, request.operator.code)
        return HttpResponseRedirect(safe_next(request))
    return render(request, "workstation/prices.html", {"next": safe_next(request)})


@desk_page
def help_page(request):
    return render(request, "workstation/help.html")


@desk_page
def patients(request):
    """Patient search: a lookup, so it works in ready mode too."""
    form = Form(request.GET, ["way", "q", "birth_date"])
    found = None
    if form.value("q"):
        try:
            found = search.find(request.station.db, form.value("way") or "card_no", form.value("q"),
                                form.value("birth_date"))
        except StationRefused as refusal:
            form.refuse(refusal, {form.value("way"): "q", "way": "way"})
    return render(request, "workstation/patients.html", {"form": form, "found": found, "ways": search.WAYS})

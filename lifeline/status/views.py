"""The public status page, its feed and banner (no login), and the status wall (监控大屏).

Public answers carry no internal detail: no incident titles or ids, no staff names, no drills.
"""
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.vary import vary_on_cookie

from lifeline.accounts import permissions
from lifeline.accounts.permissions import can_read
from lifeline.core import clock
from lifeline.incidents.models import DRILL_MARK
from lifeline.snapshots import services as snapshot_services
from lifeline.status import services, sources

State = services.State
# Apps, websites and lobby screens poll the feed and the banner: let caches absorb the crowd.
FEED_MAX_AGE = 10


def public(view):
    """No login; `?lang=en` (or the language cookie) picks the language; anyone's page may read it."""

    @permissions.public("patients, the hospital's app and website and lobby screens read it")
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        lang = request.GET.get("lang")
        with translation.override(lang if lang in dict(settings.LANGUAGES) else translation.get_language()):
            response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapped


def _iso(moment):
    return localtime(moment).isoformat() if moment else None


def _summary(state) -> str:
    return {State.OPERATIONAL: _("All services are working normally"),
            State.MAINTENANCE: _("Some services are under maintenance")}.get(state, _("Some services are affected"))


def _public_names(notice, public_ids) -> list[str]:
    return [c.name for c in notice.components.all() if c.pk in public_ids]


@public
def page(request):
    now = services.public()
    components = [s.component for s in now.statuses]
    public_ids = {c.pk for c in components}
    return render(request, "status/public.html", {
        "now": now, "summary": _summary(now.state), "history": services.history(components),
        "notices": [(n, _public_names(n, public_ids)) for n in now.notices], "days": services.HISTORY_DAYS})


@public
@cache_control(public=True, max_age=FEED_MAX_AGE)
@vary_on_cookie
def feed(request):
    """/status.json: what the hospital's app and website show."""
    now = services.public()
    public_ids = {s.component.pk for s in now.statuses}
    return JsonResponse({
        "updated_at": _iso(now.updated_at),
        "state": now.state, "state_label": now.label, "summary": _summary(now.state),
        "page": request.build_absolute_uri(reverse("status:page")),
        "components": [{"key": s.component.key, "name": s.component.name, "description": s.component.description,
                        "state": s.state, "state_label": s.label} for s in now.statuses],
        "notices": [{"title": n.title, "body": n.body, "components": _public_names(n, public_ids),
                     "published_at": _iso(n.published_at), "ends_at": _iso(n.ends_at)} for n in now.notices],
        "maintenance": [{"components": [c.name for c in w.components.all() if c.pk in public_ids],
                         "starts_at": _iso(w.starts_at), "ends_at": _iso(w.ends_at), "note": w.note}
                        for w in now.planned],
    }, json_dumps_params={"ensure_ascii": False})


def _one_line(now: services.Public) -> str:
    """The banner's line: the newest notice, else what is not working, else all is well."""
    if now.notices:
        notice = now.notices[0]
        return f"{notice.title}：{notice.body}" if notice.body and notice.body != notice.title else notice.title
    hit = [f"{s.component.name}：{s.label}" for s in now.statuses if s.state != State.OPERATIONAL]
    return "；".join(hit) or _summary(now.state)


def _banner_context(request):
    now = services.public()
    return {"state": now.state, "line": _one_line(now),
            "page_url": request.build_absolute_uri(reverse("status:page"))}


@public
@cache_control(public=True, max_age=FEED_MAX_AGE)
@vary_on_cookie
@xframe_options_exempt
def banner(request):
    """One line for an <iframe> on the hospital's website or a lobby screen."""
    return render(request, "status/banner.html", _banner_context(request))


@public
@cache_control(public=True, max_age=FEED_MAX_AGE)
@vary_on_cookie
def banner_js(request):
    """<script src=".../status/banner.js"> puts the same line where the script stands."""
    return render(request, "status/banner.js", _banner_context(request), content_type="text/javascript")


# --- the status wall -------------------------------------------------------------------------

@can_read.page
def wall(request):
    return render(request, "status/wall.html", {"feed_url": reverse("status:wall_feed"), "every": 2,
                                                "drill_mark": DRILL_MARK})


@can_read.page
@never_cache
def wall_feed(request):
    """Everything on the wall, drills included and marked; elapsed times tick in the browser."""
    return JsonResponse({
        "now": _iso(clock.now()),
        "components": [{"name": s.component.name, "state": s.state, "label": s.label, "why": s.why}
                       for s in services.statuses()],
        **sources.wall_sections(),  # the probes, from the detection app
        "incidents": [{"id": i.pk, "title": i.title, "drill": i.is_drill, "level": i.level.name if i.level else "",
                       "status": i.get_status_display(), "opened_at": _iso(i.opened_at),
                       "url": reverse("incidents:detail", args=[i.pk])}
                      for i in reversed(services.open_incidents(drills=True))],
        "snapshot": _snapshot(clock.now()),
    }, json_dumps_params={"ensure_ascii": False})


def _snapshot(now) -> dict | None:
    """How old the HIS data the emergency workstations get is; None when snapshots are not used."""
    state = snapshot_services.freshness(now)
    if not state.configured and state.package_id is None:
        return None
    if state.age is None:
        detail = _("no package published yet")
    else:
        detail = _("data from %(age)d min ago (threshold %(limit)d min)") % {
            "age": state.age.total_seconds() // 60, "limit": state.threshold.total_seconds() // 60}
    return {"name": _("Emergency data snapshot"), "stale": state.stale, "detail": detail,
            "package": state.package_id, "data_at": _iso(state.data_at),
            "age_seconds": state.age.total_seconds() if state.age is not None else None,
            "threshold_seconds": state.threshold.total_seconds()}

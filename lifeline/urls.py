from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from lifeline.accounts.permissions import public, signed_in
from lifeline.api import api
from lifeline.core import views as core_views
from lifeline.site import metrics
from lifeline.status import views as status_views

urlpatterns = [
    # core sits below accounts, so its two pages get their rule here.
    path("", signed_in.page(core_views.home), name="home"),
    path("healthz", public("load balancers and monitoring read it without an account")(core_views.healthz),
         name="healthz"),
    path("favicon.ico", public("browsers ask for it before any login")(
        RedirectView.as_view(url=static("lifeline/favicon.svg"), permanent=True)), name="favicon"),
    path("metrics", metrics.view, name="metrics"),  # public with a token or from an allowed network
    path("accounts/login/", public("the way in")(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", public("logging out ends a session, if there is one")(auth_views.LogoutView.as_view()),
         name="logout"),
    path("i18n/setlang/", public("the login page offers the language too")(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("plans/", include("lifeline.plans.urls")),
    path("people/", include("lifeline.people.urls")),
    path("incidents/", include("lifeline.incidents.urls")),
    path("continuity/", include("lifeline.stations.urls")),  # the overview page (应急数据) and stations
    path("continuity/builds/", include("lifeline.snapshots.urls")),
    path("recovery/merge/", include("lifeline.recovery.merge_urls")),  # 回写: merge-back into the HIS
    path("recovery/", include("lifeline.recovery.urls")),  # 回写: send-back, merge-back
    path("analysis/", include("lifeline.analysis.urls")),
    path("reconciliation/", include("lifeline.reconciliation.urls")),
    path("detection/", include("lifeline.detection.urls")),
    path("notify/", include("lifeline.notify.urls")),
    path("status/", include("lifeline.status.urls")),
    path("cutover/", include("lifeline.cutover.urls")),
    path("inspections/", include("lifeline.inspections.urls")),
    path("backups/", include("lifeline.backups.urls")),
    path("drills/", include("lifeline.drills.urls")),
    path("status.json", status_views.feed, name="status_feed"),
]

admin.site.site_header = "Lifeline 应急保障平台"
admin.site.site_title = "Lifeline"

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from lifeline.api import api
from lifeline.core import views as core_views
from lifeline.status import views as status_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("plans/", include("lifeline.plans.urls")),
    path("people/", include("lifeline.people.urls")),
    path("incidents/", include("lifeline.incidents.urls")),
    path("continuity/", include("lifeline.continuity.urls")),
    path("analysis/", include("lifeline.analysis.urls")),
    path("detection/", include("lifeline.detection.urls")),
    path("notify/", include("lifeline.notify.urls")),
    path("status/", include("lifeline.status.urls")),
    path("status.json", status_views.feed, name="status_feed"),
]

admin.site.site_header = "Lifeline 应急保障平台"
admin.site.site_title = "Lifeline"

from django.urls import path

from lifeline.status import manage, views

app_name = "status"
urlpatterns = [
    path("", views.page, name="page"),
    path("banner/", views.banner, name="banner"),
    path("banner.js", views.banner_js, name="banner_js"),
    path("wall/", views.wall, name="wall"),
    path("wall.json", views.wall_feed, name="wall_feed"),
    path("manage/", manage.index, name="manage"),
    path("manage/components/new/", manage.component_new, name="component_new"),
    path("manage/components/<slug:key>/", manage.component_edit, name="component_edit"),
    path("manage/overrides/", manage.override_new, name="override_new"),
    path("manage/overrides/<int:pk>/withdraw/", manage.override_withdraw, name="override_withdraw"),
    path("manage/notices/", manage.notice_new, name="notice_new"),
    path("manage/notices/<int:pk>/withdraw/", manage.notice_withdraw, name="notice_withdraw"),
    path("manage/maintenance/", manage.maintenance_new, name="maintenance_new"),
    path("manage/maintenance/<int:pk>/end/", manage.maintenance_end, name="maintenance_end"),
]

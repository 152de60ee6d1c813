from django.urls import path

from lifeline.continuity import build_views, views

app_name = "continuity"
urlpatterns = [
    path("", views.page, name="page"),
    path("builds/<int:build_id>/", build_views.build, name="build"),
    path("builds/<int:build_id>/problems.<str:fmt>", build_views.export_problems, name="build_problems"),
    path("stations/new/", views.create_station, name="create_station"),
    path("stations/<int:station_id>/revoke/", views.revoke_station, name="revoke_station"),
]

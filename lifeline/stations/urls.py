from django.urls import path

from lifeline.stations import views

app_name = "stations"
urlpatterns = [
    path("", views.page, name="page"),
    path("stations/new/", views.create_station, name="create_station"),
    path("stations/mode/", views.declare_mode, name="declare_mode"),
    path("declare/", views.declare, name="declare"),
    path("stations/<int:station_id>/revoke/", views.revoke_station, name="revoke_station"),
]

from django.urls import path, re_path

from lifeline.analysis import views

app_name = "analysis"
urlpatterns = [
    path("", views.index, name="index"),
    path("incidents/<int:incident_id>/", views.analysis, name="analysis"),
    re_path(r"^incidents/(?P<incident_id>\d+)/fault-analysis\.(?P<fmt>pdf|docx)$", views.analysis_file,
            name="analysis_file"),
    path("incidents/<int:incident_id>/follow-ups/", views.add_follow_up, name="add_follow_up"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("statistics/", views.statistics_page, name="statistics"),
]

from django.urls import path, re_path

from lifeline.drills import views

app_name = "drills"

urlpatterns = [
    path("", views.drill_list, name="list"),
    path("schedules/", views.schedule_list, name="schedules"),
    path("findings/", views.finding_list, name="findings"),
    path("<int:pk>/", views.drill_page, name="drill"),
    path("<int:pk>/start/", views.start, name="start"),
    path("<int:pk>/milestone/", views.milestone, name="milestone"),
    path("<int:pk>/end/", views.end, name="end"),
    path("<int:pk>/findings/", views.add_finding, name="add_finding"),
    path("findings/<int:pk>/status/", views.finding_status, name="finding_status"),
    path("<int:pk>/sign-off/", views.sign_off, name="sign_off"),
    re_path(r"^(?P<pk>\d+)/report\.(?P<fmt>pdf|docx)$", views.report_file, name="report_file"),
]

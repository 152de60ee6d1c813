from django.urls import path

from lifeline.detection.probes import views

# Included under /detection/probes/ in the detection namespace.
urlpatterns = [
    path("", views.probe_list, name="probes"),
    path("new/", views.probe_edit, name="new_probe"),
    path("<int:probe_id>/", views.probe_detail, name="probe"),
    path("<int:probe_id>/edit/", views.probe_edit, name="edit_probe"),
]

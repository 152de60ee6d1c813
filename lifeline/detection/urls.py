from django.urls import include, path

from lifeline.detection import alert_views

app_name = "detection"
urlpatterns = [
    path("integrations/", alert_views.integration_list, name="integrations"),
    path("silences/", alert_views.silence_list, name="silences"),
    path("silences/<int:silence_id>/end/", alert_views.end_silence, name="end_silence"),
    path("probes/", include("lifeline.detection.probes.urls")),
]

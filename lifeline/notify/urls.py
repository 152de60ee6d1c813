from django.urls import path

from lifeline.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.log, name="log"),
    path("check/", views.check, name="check"),
    path("sink/", views.sink, name="sink"),
    path("ack/<str:token>/", views.ack, name="ack"),
]

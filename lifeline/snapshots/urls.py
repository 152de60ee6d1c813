from django.urls import path

from lifeline.snapshots import views

app_name = "snapshots"
urlpatterns = [
    path("<int:build_id>/", views.build, name="build"),
    path("<int:build_id>/problems.<str:fmt>", views.export_problems, name="build_problems"),
]

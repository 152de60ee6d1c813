from django.urls import path

from lifeline.recovery import merge_views

app_name = "merge"
urlpatterns = [
    path("", merge_views.page, name="page"),
    path("runs/", merge_views.start, name="start"),
    path("conflicts/<int:conflict_id>/", merge_views.decide, name="decide"),
    path("conflicts/accept/<str:kind>/", merge_views.accept_all, name="accept_all"),
]

from django.urls import path, re_path

from lifeline.backups import views

app_name = "backups"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("check/", views.check, name="check"),
    re_path(r"^edit/(?P<what>[a-z_]+)/$", views.edit, name="add"),
    re_path(r"^edit/(?P<what>[a-z_]+)/(?P<pk>\d+)/$", views.edit, name="edit"),
    re_path(r"^export/(?P<what>systems|jobs)\.xlsx$", views.export, name="export"),
    path("import/", views.import_spreadsheet, name="import"),
    path("restore-tests/", views.restore_tests, name="restore_tests"),
    path("restore-tests/<int:pk>/", views.restore_test, name="restore_test"),
    path("restore-tests/<int:pk>/run/", views.run_restore_test, name="run_restore_test"),
    path("dr/", views.topology, name="dr"),
    path("dr/components/<int:pk>/", views.component, name="component"),
    path("dr/components/<int:pk>/switchover/", views.switchover, name="switchover"),
    path("plans/<str:plan_id>/", views.plan_measures, name="plan_measures"),
    path("plans/<str:plan_id>/<str:measure_id>/confirm/", views.confirm_measure, name="confirm_measure"),
]

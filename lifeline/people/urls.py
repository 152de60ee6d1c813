from django.urls import path

from lifeline.people import views

app_name = "people"
urlpatterns = [
    path("", views.organisation, name="organisation"),
    path("roster/", views.roster, name="roster"),
    path("check-in/", views.check_in, name="check_in"),
    path("export/<slug:what>.xlsx", views.export, name="export"),
    path("import/", views.import_spreadsheet, name="import"),
]

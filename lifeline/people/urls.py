from django.urls import path

from lifeline.people import views

app_name = "people"
urlpatterns = [
    path("", views.organisation, name="organisation"),
    path("roster/", views.roster, name="roster"),
]

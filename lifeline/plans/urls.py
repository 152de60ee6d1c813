from django.urls import path

from lifeline.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
]

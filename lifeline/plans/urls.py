from django.urls import path, re_path

from lifeline.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<str:plan_id>/", views.plan_detail, name="detail"),
    path("<str:plan_id>/scenarios/<str:scenario_id>/", views.scenario_detail, name="scenario"),
    path("<str:plan_id>/duty-cards/", views.duty_cards, name="duty_cards"),
    path("<str:plan_id>/departments/", views.departments, name="departments"),
    re_path(r"^(?P<plan_id>[^/]+)/binder\.(?P<fmt>pdf|docx)$", views.binder, name="binder"),
]
